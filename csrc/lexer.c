#include "scancore.h"

/* ---- the template lexer ----------------------------------------------------------------------
 * compress.template's five regex rules in one pass over the words (runs of [A-Za-z0-9_]); each
 * rule there matches whole words only, which is what makes one pass exact:
 *   PCI address  hhhh:hh:hh.f  kept (parked there so the number rule cannot touch it)
 *   MAC          six 2-hex words joined by ':'  -> <MAC>
 *   hex          0x.. or 8+ hex digits           -> <HEX>
 *   number       digits only                     -> <N>
 * then bulkref.mask_nodes: the space-separated token after a date or time of three or more
 * numbers is the node that logged the line -> <NODE>.
 */

static int bdf_at(const unsigned char *s, size_t n, size_t j, size_t *end) {
    /* The 4-hex word ends at j; needs ":hh:hh.f" and a word boundary after. */
    if (j + 8 > n || s[j] != ':' || !HEX[s[j + 1]] || !HEX[s[j + 2]] || s[j + 3] != ':') return 0;
    if (!HEX[s[j + 4]] || !HEX[s[j + 5]] || s[j + 6] != '.' || s[j + 7] < '0' || s[j + 7] > '7') return 0;
    if (j + 8 < n && WORD[s[j + 8]]) return 0;
    *end = j + 8;
    return 1;
}

static int mac_at(const unsigned char *s, size_t n, size_t j, size_t *end) {
    for (int k = 0; k < 5; k++, j += 3)
        if (j + 3 > n || s[j] != ':' || !HEX[s[j + 1]] || !HEX[s[j + 2]]) return 0;
    if (j < n && WORD[s[j]]) return 0;
    *end = j;
    return 1;
}

static int pcibdf_word(const unsigned char *w, size_t wl) {
    /* PCIBDF_hhhh_hh_hh_f: text that the PCI rule's restore step turns into hhhh:hh:hh.f */
    return wl == 19 && memcmp(w, "PCIBDF_", 7) == 0 && all_in(w + 7, 4, HEX) && w[11] == '_' &&
           all_in(w + 12, 2, HEX) && w[14] == '_' && all_in(w + 15, 2, HEX) && w[17] == '_' &&
           w[18] >= '0' && w[18] <= '7';
}

static int hex_word(const unsigned char *w, size_t wl) {
    if (wl >= 3 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && all_in(w + 2, wl - 2, HEX)) return 1;
    return wl >= 8 && all_in(w, wl, HEX);
}

#define PUT(lit)                               \
    do {                                       \
        memcpy(out + o, lit, sizeof(lit) - 1); \
        o += sizeof(lit) - 1;                  \
    } while (0)

size_t mask_words(const unsigned char *s, size_t n, unsigned char *out, int *numbers) {
    size_t i = 0, o = 0, end;
    while (i < n) {
        if (!WORD[s[i]]) {
            out[o++] = s[i++];
            continue;
        }
        size_t j = i;
        unsigned char all = C_WORD | C_HEX | C_DIGIT;
        while (j < n && WORD[s[j]]) all &= CLASS[s[j++]];
        size_t wl = j - i;
        const unsigned char *w = s + i;
        /* The common case first: a number that cannot start a PCI address or MAC, nor be long hex. */
        if ((all & C_DIGIT) && wl < 8 && wl != 4 && wl != 2) {
            PUT("<N>");
            (*numbers)++;
            i = j;
            continue;
        }
        if (wl == 4 && (all & C_HEX) && bdf_at(s, n, j, &end)) {
            memcpy(out + o, w, end - i);
            o += end - i;
            i = end;
            continue;
        }
        if (wl == 2 && (all & C_HEX) && mac_at(s, n, j, &end)) {
            PUT("<MAC>");
            i = end;
            continue;
        }
        if (pcibdf_word(w, wl)) {
            memcpy(out + o, w + 7, 4);
            out[o + 4] = ':';
            memcpy(out + o + 5, w + 12, 2);
            out[o + 7] = ':';
            memcpy(out + o + 8, w + 15, 2);
            out[o + 10] = '.';
            out[o + 11] = w[18];
            o += 12;
        } else if ((wl >= 8 && (all & C_HEX)) || hex_word(w, wl)) {
            PUT("<HEX>");
        } else if (all & C_DIGIT) {
            PUT("<N>");
            (*numbers)++;
        } else {
            memcpy(out + o, w, wl);
            o += wl;
        }
        i = j;
    }
    return o;
}

static int is_stamp(const unsigned char *t, size_t n) {
    /* <N>(?:[.:-]<N>){2,} in full */
    size_t groups = 0, i = 0;
    for (;;) {
        if (i + 3 > n || memcmp(t + i, "<N>", 3) != 0) return 0;
        i += 3;
        groups++;
        if (i == n) return groups >= 3;
        if (t[i] != '.' && t[i] != ':' && t[i] != '-') return 0;
        i++;
    }
}

static int is_node(const unsigned char *t, size_t n) {
    int digit = 0, alpha = 0;
    for (size_t i = 0; i < n; i++) {
        digit |= DIGIT[t[i]];
        alpha |= ALPHA[t[i]];
    }
    return digit && alpha;
}

size_t mask_nodes(const unsigned char *s, size_t n, unsigned char *out) {
    size_t i = 0, o = 0;
    int after_stamp = 0;
    for (;;) {
        const unsigned char *sp = memchr(s + i, ' ', n - i);
        size_t j = sp ? (size_t)(sp - s) : n;
        if (after_stamp && is_node(s + i, j - i)) {
            PUT("<NODE>");
        } else {
            memcpy(out + o, s + i, j - i);
            o += j - i;
        }
        after_stamp = is_stamp(s + i, j - i);
        if (j == n) return o;
        out[o++] = ' ';
        i = j + 1;
    }
}
