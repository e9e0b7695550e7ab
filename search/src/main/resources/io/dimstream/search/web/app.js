// dimstream search page: plain JS against the service's JSON API (docs/search.md).
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);

  function mode() {
    return document.querySelector('input[name=mode]:checked').value;
  }

  function showMode() {
    $('by-id').hidden = mode() !== 'id';
    $('by-cif').hidden = mode() !== 'cif';
  }

  function params(dup) {
    const p = new URLSearchParams();
    if (!dup) {
      p.set('k', $('k').value || '10');
      for (const f of ['include', 'exclude', 'elements', 'sites']) {
        if ($(f).value.trim()) p.set(f, $(f).value.trim());
      }
    }
    p.set('exact', $('exact').checked ? 'true' : 'false');
    return p;
  }

  function fmt(x, digits) {
    return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined || text === '' ? '–' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function render(data, dup) {
    const rows = dup ? data.duplicates : data.neighbours;
    const tbody = document.querySelector('#results tbody');
    tbody.textContent = '';
    rows.forEach((n, i) => {
      const tr = document.createElement('tr');
      tr.dataset.id = n.id;
      cell(tr, i + 1, 'num');
      const idCell = document.createElement('td');
      tr.appendChild(idCell);
      const a = document.createElement('a');
      a.textContent = n.id;
      a.title = 'search the neighbours of ' + n.id;
      a.addEventListener('click', () => { document.querySelector('input[value=id]').checked = true; showMode(); $('query-id').value = n.id; search(false); });
      idCell.appendChild(a);
      cell(tr, n.formula);
      cell(tr, fmt(n.distance, 5), 'num');
      cell(tr, n.space_group);
      cell(tr, n.sites, 'num');
      tbody.appendChild(tr);
    });
    $('model-version').textContent = data.model_version;
    const q = data.query_meta && data.query_meta.formula ? ' (' + data.query_meta.formula + ')' : '';
    $('summary').textContent = dup
      ? (data.is_duplicate ? rows.length + ' near duplicate(s) of ' : 'no near duplicate of ') + data.query + q
        + ' (cosine distance ≤ ' + data.threshold + ', model v' + data.model_version + ')'
      : rows.length + ' nearest of ' + data.query + q + ' · model v' + data.model_version + ' · ' + data.index + ' index';
    document.body.dataset.state = 'done';
  }

  async function search(dup) {
    $('error').hidden = true;
    document.body.dataset.state = 'searching';
    const p = params(dup);
    const url = dup ? 'api/duplicates' : 'api/search';
    let res;
    try {
      if (mode() === 'id') {
        p.set('id', $('query-id').value.trim());
        res = await fetch(url + '?' + p.toString());
      } else {
        res = await fetch(url + '?' + p.toString(), { method: 'POST', body: $('query-cif').value, headers: { 'Content-Type': 'chemical/x-cif' } });
      }
      const data = await res.json();
      if (!res.ok) {
        throw new Error(data.error + ': ' + data.message);
      }
      render(data, dup);
    } catch (e) {
      document.querySelector('#results tbody').textContent = '';
      $('summary').textContent = '';
      $('error').textContent = e.message;
      $('error').hidden = false;
      document.body.dataset.state = 'error';
    }
  }

  async function status() {
    try {
      const s = await (await fetch('api/status')).json();
      $('model-name').textContent = s.model_name;
      $('st-serving').textContent = s.serving_version === null ? 'nothing yet' : 'v' + s.serving_version + ' (' + s.index + ')';
      if (s.serving_version !== null && $('model-version').textContent === '–') $('model-version').textContent = s.serving_version;
      $('st-versions').textContent = Object.entries(s.embeddings_per_version).map(([v, n]) => 'v' + v + ': ' + n).join('\n') || '–';
      $('st-pending').textContent = s.pending_versions.length ? s.pending_versions.map((v) => 'v' + v).join(', ') : 'none';
      $('st-backfill').textContent = s.backfill;
      $('st-throughput').textContent = s.throughput_per_s + ' embeddings/s (' + s.embeddings_indexed + ' indexed)';
      $('st-freshness').textContent = s.freshness_ms.count ? s.freshness_ms.p50 + ' / ' + s.freshness_ms.p99 + ' ms' : '–';
      $('st-dlq').textContent = Object.entries(s.dead_letters).map(([k, n]) => k + ': ' + n).join('\n') || 'none';
      $('st-threshold').textContent = s.duplicate_threshold;
    } catch (e) {
      $('st-serving').textContent = 'unreachable';
    }
  }

  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', showMode));
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(false); });
  $('dup-btn').addEventListener('click', () => search(true));
  status();
  setInterval(status, 2000);

  // ?id=...&k=...: fill the form and search at once (links, and the headless-browser test)
  const q = new URLSearchParams(location.search);
  for (const f of ['k', 'include', 'exclude', 'elements', 'sites']) {
    if (q.has(f)) $(f).value = q.get(f);
  }
  if (q.get('exact') === 'true') $('exact').checked = true;
  if (q.has('id')) {
    $('query-id').value = q.get('id');
    if (q.get('duplicates') === 'true') {
      $('dup-btn').click();
    } else {
      $('search-btn').click();
    }
  }
})();
