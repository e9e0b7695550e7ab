package io.dimstream.search;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the filters and the results table know about a structure: its reduced formula, the elements in it,
 * its number of sites (primitive cell) and its space group when known (null otherwise). {@link #UNKNOWN}
 * when nothing is known yet: such an entry never passes an element or size filter.
 */
public record Meta(String formula, Set<String> elements, int sites, String spaceGroup) {

    public static final Meta UNKNOWN = new Meta("", Set.of(), -1, null);

    private static final Pattern ELEMENT = Pattern.compile("([A-Z][a-z]?)");

    public Meta {
        formula = formula == null ? "" : formula;
        elements = Collections.unmodifiableSet(new TreeSet<>(elements));
    }

    /** From a reduced formula such as {@code Fe2O3} (elements are its capitalised symbols). */
    public static Meta ofFormula(String formula, int sites, String spaceGroup) {
        Set<String> els = new TreeSet<>();
        Matcher m = ELEMENT.matcher(formula == null ? "" : formula);
        while (m.find()) {
            els.add(m.group(1));
        }
        return new Meta(formula, els, sites, spaceGroup);
    }

    public boolean known() {
        return sites >= 0;
    }

    public int elementCount() {
        return elements.size();
    }

    public Meta withSpaceGroup(String sg) {
        return new Meta(formula, elements, sites, sg);
    }

    /**
     * A space-group symbol read from CIF text ({@code _symmetry_space_group_name_H-M} and its aliases), or null
     * when absent or {@code P 1} (exporters write P1 for every structure, so it is not taken as known).
     */
    public static String spaceGroupOf(String cif) {
        if (cif == null) {
            return null;
        }
        Matcher m = SG.matcher(cif);
        if (!m.find()) {
            return null;
        }
        String v = m.group(1).trim();
        if (v.length() >= 2 && (v.charAt(0) == '\'' || v.charAt(0) == '"')) {
            v = v.substring(1, v.length() - 1).trim();
        }
        // P1 is what exporters (pymatgen among them) write for every structure: it says nothing of the symmetry
        return v.isEmpty() || v.equals("?") || v.equals(".") || v.replace(" ", "").equals("P1") ? null : v;
    }

    private static final Pattern SG = Pattern.compile(
            "(?im)^\\s*_(?:symmetry_space_group_name_h-m|space_group_name_h-m_alt|space_group\\.name_h-m_alt)[ \\t]+(.+?)\\s*$");

    static List<String> normaliseElements(List<String> in) {
        return in.stream().map(s -> s.trim()).filter(s -> !s.isEmpty())
                .map(s -> s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT)).toList();
    }
}
