package io.dimstream.search;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Restricts a search: elements that must all be present ({@code include}) or must all be absent
 * ({@code exclude}), a range of the number of distinct elements and of the number of sites (primitive
 * cell), inclusive; and one id never returned (the query itself). A corpus entry whose metadata is not
 * known yet passes only a filter that asks nothing of its metadata.
 */
public record SearchFilter(Set<String> include, Set<String> exclude, int minElements, int maxElements,
                           int minSites, int maxSites, String excludeId) {

    public static final SearchFilter NONE = new SearchFilter(Set.of(), Set.of(), 0, Integer.MAX_VALUE, 0,
            Integer.MAX_VALUE, null);

    public SearchFilter {
        include = Set.copyOf(new TreeSet<>(Meta.normaliseElements(List.copyOf(include))));
        exclude = Set.copyOf(new TreeSet<>(Meta.normaliseElements(List.copyOf(exclude))));
        if (minElements < 0 || minSites < 0 || maxElements < minElements || maxSites < minSites) {
            throw new SearchException(SearchException.BAD_REQUEST, "empty or negative range: elements "
                    + minElements + ".." + maxElements + ", sites " + minSites + ".." + maxSites);
        }
        for (String e : include) {
            if (exclude.contains(e)) {
                throw new SearchException(SearchException.BAD_REQUEST, "element " + e + " is both included and excluded");
            }
        }
    }

    public static SearchFilter excluding(String id) {
        return NONE.withExcludeId(id);
    }

    public SearchFilter withExcludeId(String id) {
        return new SearchFilter(include, exclude, minElements, maxElements, minSites, maxSites, id);
    }

    /** True when the filter asks something of the metadata (not only the excluded id). */
    public boolean needsMeta() {
        return !include.isEmpty() || !exclude.isEmpty() || minElements > 0 || maxElements != Integer.MAX_VALUE
                || minSites > 0 || maxSites != Integer.MAX_VALUE;
    }

    public boolean test(String id, Meta m) {
        if (excludeId != null && excludeId.equals(id)) {
            return false;
        }
        if (!needsMeta()) {
            return true;
        }
        if (m == null || !m.known()) {
            return false;
        }
        int n = m.elementCount();
        return m.elements().containsAll(include) && exclude.stream().noneMatch(m.elements()::contains)
                && n >= minElements && n <= maxElements && m.sites() >= minSites && m.sites() <= maxSites;
    }
}
