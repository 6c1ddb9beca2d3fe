#include "scancore.h"

/* ---- line prefixes ------------------------------------------------------------------------------
 * dmesg.PREFIX by hand (quote markers, dmesg -r <pri>, dmesg -x facility:level:, then the
 * default, -d, -T, -H and iso stamps, then one optional space). Each part of that regex can
 * match at most one way here, so no backtracking is needed: after a part fails, no other
 * alternative can start with the same byte. */

static inline size_t digits(const unsigned char *s, size_t n, size_t i) {
    while (i < n && DIGIT[s[i]]) i++;
    return i;
}

static inline size_t spaces(const unsigned char *s, size_t n, size_t i) {
    while (i < n && s[i] == ' ') i++;
    return i;
}

/* \d+\.\d+ from i: the end, or 0 */
static size_t decimal(const unsigned char *s, size_t n, size_t i) {
    size_t j = digits(s, n, i);
    if (j == i || j >= n || s[j] != '.') return 0;
    size_t k = digits(s, n, j + 1);
    return k == j + 1 ? 0 : k;
}

static int fixed(const unsigned char *s, size_t n, size_t i, const char *shape) {
    /* shape: 'U' upper, 'l' lower, 'd' digit, '_' space or digit, anything else itself */
    for (; *shape; shape++, i++) {
        if (i >= n) return 0;
        unsigned char c = s[i], k = (unsigned char)*shape;
        int ok = k == 'U' ? UPPER[c] : k == 'l' ? LOWER[c] : k == 'd' ? DIGIT[c] : k == '_' ? (c == ' ' || DIGIT[c]) : c == k;
        if (!ok) return 0;
    }
    return 1;
}

/* A bracketed stamp at s[i] == '[': the end after ']', or 0. */
static size_t bracket_stamp(const unsigned char *s, size_t n, size_t i) {
    size_t j = spaces(s, n, i + 1), k;
    if (j < n && DIGIT[s[j]]) { /* default, and dmesg -d: [  3.0 <    0.0001>] */
        if (!(k = decimal(s, n, j))) return 0;
        if (k < n && s[k] == ']') return k + 1;
        k = spaces(s, n, k);
        if (k >= n || s[k] != '<') return 0;
        if (!(k = decimal(s, n, spaces(s, n, k + 1)))) return 0;
        return k + 1 < n && s[k] == '>' && s[k + 1] == ']' ? k + 2 : 0;
    }
    if (j < n && s[j] == '+') { /* dmesg -H relative: [  +0.000100] */
        k = decimal(s, n, spaces(s, n, j + 1));
        return k && k < n && s[k] == ']' ? k + 1 : 0;
    }
    if (j != i + 1) return 0;
    if (fixed(s, n, j, "Ull Ull _d dd:dd:dd dddd]")) return j + 25; /* dmesg -T */
    if (!fixed(s, n, j, "Ull") || !DIGIT[j + 3 < n ? s[j + 3] : 0]) return 0; /* dmesg -H: [Nov22 08:00] */
    k = j + 4;
    if (k < n && DIGIT[s[k]]) k++;
    if (!fixed(s, n, k, " dd:dd")) return 0;
    k += 6;
    if (k < n && s[k] == ']') return k + 1;
    return fixed(s, n, k, ":dd]") ? k + 4 : 0;
}

/* dmesg --time-format iso: 2026-11-22T08:00:00,123456+00:00 */
static size_t iso_stamp(const unsigned char *s, size_t n, size_t i) {
    if (!fixed(s, n, i, "dddd-dd-ddTdd:dd:dd,d")) return 0;
    size_t k = digits(s, n, i + 20);
    if (k >= n || (s[k] != '+' && s[k] != '-') || !fixed(s, n, k + 1, "dd")) return 0;
    k += 3;
    if (k < n && s[k] == ':') k++;
    return fixed(s, n, k, "dd") ? k + 2 : 0;
}

/* The end of a dmesg prefix at the start of s (its optional trailing space included), or 0. */
static size_t dmesg_prefix(const unsigned char *s, size_t n) {
    size_t i = 0, k;
    while (i < n && s[i] == '>') { /* quote markers: > or "> " */
        i++;
        if (i < n && s[i] == ' ') i++;
    }
    if (i < n && s[i] == '<') { /* dmesg -r: <3> */
        k = digits(s, n, i + 1);
        if (k == i + 1 || k - i - 1 > 3 || k >= n || s[k] != '>') return 0;
        i = k + 1;
    }
    if (i < n && LOWER[s[i]]) { /* dmesg -x: "kern  :err   : " */
        k = i + 1;
        while (k < n && (LOWER[s[k]] || DIGIT[s[k]])) k++;
        k = spaces(s, n, k);
        if (k >= n || s[k] != ':') return 0;
        size_t l = ++k;
        while (k < n && LOWER[s[k]]) k++;
        if (k == l) return 0;
        k = spaces(s, n, k);
        if (k + 1 >= n || s[k] != ':' || s[k + 1] != ' ') return 0;
        i = k + 2;
    }
    if (i >= n) return 0;
    k = s[i] == '[' ? bracket_stamp(s, n, i) : DIGIT[s[i]] ? iso_stamp(s, n, i) : 0;
    if (!k) return 0;
    return k < n && s[k] == ' ' ? k + 1 : k;
}

/* Where the message of an ordinary line starts: 0 without a prefix, the prefix's end with one,
 * or -1 when Python must read it (a plain-text line that may be a syslog one).
 * Mirrors dmesg.message and plain.message. */
Py_ssize_t message_start(const unsigned char *s, size_t n, int fmt) {
    size_t k = dmesg_prefix(s, n);
    if (k) return (Py_ssize_t)k;
    if (fmt == FMT_DMESG) return 0;
    unsigned char c = s[0]; /* plain text: syslog.message_of may still cut a header */
    if (c == '<' || c == '[') return -1;
    if (DIGIT[c]) return n >= 5 && all_in(s, 4, DIGIT) && s[4] == '-' ? -1 : 0;
    if (UPPER[c]) return n >= 4 && LOWER[s[1]] && LOWER[s[2]] && s[3] == ' ' ? -1 : 0;
    return 0;
}
