#!/usr/bin/python3
"""Prototype oracle for the structural-similarity check (issue #14, part 5).

Reads the shared train/val splits (CSV with a `material_id` column and a `cif` column) and writes, per
structure, its prototype key:

    spglib space-group number + anonymized reduced formula + sorted Wyckoff letters

computed on the symmetrized structure (pymatgen SpacegroupAnalyzer on spglib, symprec 0.1). One
Wyckoff letter is listed per symmetry-distinct site (orbit), so "aab" means two orbits on 'a'
positions and one on 'b'. Output columns: id,split,spacegroup,anonymous_formula,wyckoff,prototype.
A structure spglib cannot analyse gets empty key fields (counted and printed).

This is a data-preparation tool, never a runtime dependency of dimstream. It uses Debian packages only:
    apt-get update && apt-get install -y python3-pymatgen python3-spglib
Usage (from the repository root):
    /usr/bin/python3 tools/prototypes.py [--data ../shared/data] [--out tools/data/prototypes.csv.gz]
"""
import argparse
import csv
import gzip
import io
import sys
import time
import warnings

from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

SYMPREC = 0.1


def prototype_of(cif_text):
    """(spacegroup, anonymous_formula, wyckoff) of one CIF, or None if symmetry analysis fails."""
    structure = Structure.from_str(cif_text, fmt="cif")
    analyzer = SpacegroupAnalyzer(structure, symprec=SYMPREC)
    symmetrized = analyzer.get_symmetrized_structure()
    letters = sorted(symbol.lstrip("0123456789") for symbol in symmetrized.wyckoff_symbols)
    return (analyzer.get_space_group_number(),
            structure.composition.reduced_composition.anonymized_formula,
            "".join(letters))


def read_split(path, split, limit):
    csv.field_size_limit(sys.maxsize)
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for column in ("material_id", "cif"):
            if column not in reader.fieldnames:
                raise SystemExit(f"{path}: no '{column}' column (header: {','.join(reader.fieldnames)})")
        for i, row in enumerate(reader):
            if limit and i >= limit:
                return
            yield row["material_id"], split, row["cif"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder with train.csv.gz and val.csv.gz")
    parser.add_argument("--out", default="tools/data/prototypes.csv.gz")
    parser.add_argument("--limit", type=int, default=0, help="first N rows of each split (0 = all)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # pymatgen warns about rounded occupancies/charges in CIFs

    rows, failed = [], 0
    start = time.time()
    for split in ("train", "val"):
        for n, (sid, split_name, cif) in enumerate(read_split(f"{args.data}/{split}.csv.gz", split, args.limit)):
            try:
                sg, formula, wyckoff = prototype_of(cif)
                key = f"{sg}|{formula}|{wyckoff}"
            except Exception as e:  # noqa: BLE001 - one bad structure must not stop the oracle
                failed += 1
                print(f"{sid}: symmetry analysis failed: {e}", file=sys.stderr)
                sg, formula, wyckoff, key = "", "", "", ""
            rows.append((sid, split_name, sg, formula, wyckoff, key))
            if (n + 1) % 2000 == 0:
                print(f"{split}: {n + 1} structures, {time.time() - start:.0f}s", file=sys.stderr, flush=True)

    # mtime=0: the checked-in file only changes when its content does
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            io.TextIOWrapper(gz, encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("id", "split", "spacegroup", "anonymous_formula", "wyckoff", "prototype"))
        writer.writerows(rows)

    train_keys = {r[5] for r in rows if r[1] == "train" and r[5]}
    val = [r for r in rows if r[1] == "val" and r[5]]
    val_in_train = sum(1 for r in val if r[5] in train_keys)
    all_keys = {r[5] for r in rows if r[5]}
    print(f"structures: {len(rows)} (train {sum(1 for r in rows if r[1] == 'train')}, val "
          f"{sum(1 for r in rows if r[1] == 'val')}), symmetry analysis failed: {failed}")
    print(f"distinct prototypes: {len(all_keys)} (train {len(train_keys)}, "
          f"val {len({r[5] for r in val})})")
    share = val_in_train / len(val) if val else 0.0
    print(f"val structures whose prototype occurs in train: {val_in_train} / {len(val)} = {share:.1%}")
    print(f"wrote {args.out} in {time.time() - start:.0f}s")


if __name__ == "__main__":
    main()
