/* The bulk local path's hot loop, compiled: one pass over a block of log lines.
 *
 * Per line: split, cut the dmesg prefix (or take a plain line stripped), mask the message to
 * its template with one lexer, match it against the whole catalogue (signal and noise patterns
 * together) with one Hyperscan database, and count it: a verdict tally and a bounded template
 * table (space-saving heavy hitters). A bounded memo serves messages seen lately.
 *
 * Exactness comes first: a line this file cannot settle exactly as the Python reference does
 * (non-ASCII bytes, control characters, a plain-text line that may carry a syslog header) is
 * handed back to Python, which parses it and returns the message (add_messages) or its whole
 * verdict (add_verdict). The patterns come from the catalogue at run time; none is written here.
 * The reference for every rule below is tasseograph/bulkref.py (parity-tested).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <hs/hs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NEITHER = 0, BORING = 1, SIGNAL = 2 };
enum { FMT_DMESG = 0, FMT_PLAIN = 1 };
/* What feed() stopped for: the end of the block, or a line Python must settle. */
enum { STOP_END = 0, STOP_LINE = 1 };

/* ---- character classes (ASCII) ------------------------------------------------------------ */

static unsigned char WORD[256], HEX[256], DIGIT[256], LOWER[256], UPPER[256], ALPHA[256];
/* Bits of CLASS: a word byte, a hex digit, a decimal digit. A word's classes are their AND. */
enum { C_WORD = 1, C_HEX = 2, C_DIGIT = 4 };
static unsigned char CLASS[256];

static void init_tables(void) {
    for (int c = 0; c < 256; c++) {
        DIGIT[c] = c >= '0' && c <= '9';
        LOWER[c] = c >= 'a' && c <= 'z';
        UPPER[c] = c >= 'A' && c <= 'Z';
        ALPHA[c] = LOWER[c] || UPPER[c];
        WORD[c] = ALPHA[c] || DIGIT[c] || c == '_';
        HEX[c] = DIGIT[c] || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        CLASS[c] = (WORD[c] ? C_WORD : 0) | (HEX[c] ? C_HEX : 0) | (DIGIT[c] ? C_DIGIT : 0);
    }
}

static inline int all_in(const unsigned char *s, size_t n, const unsigned char *table) {
    for (size_t i = 0; i < n; i++)
        if (!table[s[i]]) return 0;
    return 1;
}

/* ---- hashing -------------------------------------------------------------------------------- */

static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const unsigned char *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    return mix(h ^ w);
}

/* ---- the template table: space-saving (Metwally et al.) --------------------------------------
 * At most `cap` templates. A new template when the table is full takes the place of the one
 * with the smallest (count, tick) -- tick being when its count last changed -- and inherits
 * that count as its error: true count <= count <= true count + error, and error <= lines / cap.
 */

typedef struct {
    char *key;
    uint32_t len;
    uint64_t hash;
    int64_t count, error, tick, first;
    int32_t heap_pos;
} Entry;

typedef struct {
    Entry *entries;
    int32_t *heap;  /* entry indices, a min-heap on (count, tick) */
    int32_t *index; /* open addressing, linear probing: entry index or -1 */
    uint32_t mask;
    int32_t cap, size;
    int64_t tick, evictions;
} Table;

static inline int before(const Entry *a, const Entry *b) {
    return a->count < b->count || (a->count == b->count && a->tick < b->tick);
}

static void heap_swap(Table *t, int32_t i, int32_t j) {
    int32_t a = t->heap[i], b = t->heap[j];
    t->heap[i] = b;
    t->heap[j] = a;
    t->entries[b].heap_pos = i;
    t->entries[a].heap_pos = j;
}

static void sift_down(Table *t, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->size && before(&t->entries[t->heap[l]], &t->entries[t->heap[m]])) m = l;
        if (r < t->size && before(&t->entries[t->heap[r]], &t->entries[t->heap[m]])) m = r;
        if (m == i) return;
        heap_swap(t, i, m);
        i = m;
    }
}

static void sift_up(Table *t, int32_t i) {
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (!before(&t->entries[t->heap[i]], &t->entries[t->heap[p]])) return;
        heap_swap(t, i, p);
        i = p;
    }
}

static int table_init(Table *t, int32_t cap) {
    uint32_t slots = 16;
    while (slots < (uint32_t)cap * 2) slots <<= 1;
    t->entries = PyMem_Calloc((size_t)cap, sizeof(Entry));
    t->heap = PyMem_Calloc((size_t)cap, sizeof(int32_t));
    t->index = PyMem_Malloc((size_t)slots * sizeof(int32_t));
    if (!t->entries || !t->heap || !t->index) return -1;
    memset(t->index, 0xff, (size_t)slots * sizeof(int32_t));
    t->mask = slots - 1;
    t->cap = cap;
    t->size = 0;
    t->tick = t->evictions = 0;
    return 0;
}

static void table_free(Table *t) {
    if (t->entries)
        for (int32_t i = 0; i < t->size; i++) PyMem_Free(t->entries[i].key);
    PyMem_Free(t->entries);
    PyMem_Free(t->heap);
    PyMem_Free(t->index);
    t->entries = NULL;
    t->heap = t->index = NULL;
}

static void index_remove(Table *t, int32_t entry) {
    uint32_t i = (uint32_t)t->entries[entry].hash & t->mask;
    while (t->index[i] != entry) i = (i + 1) & t->mask;
    uint32_t j = i; /* backward-shift deletion keeps every probe chain unbroken */
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->index[j] < 0) break;
        uint32_t home = (uint32_t)t->entries[t->index[j]].hash & t->mask;
        int between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (between) continue;
        t->index[i] = t->index[j];
        i = j;
    }
    t->index[i] = -1;
}

static uint32_t index_probe(Table *t, const unsigned char *key, uint32_t len, uint64_t hash, int32_t *found) {
    uint32_t i = (uint32_t)hash & t->mask;
    for (;;) {
        int32_t e = t->index[i];
        if (e < 0) {
            *found = -1;
            return i;
        }
        Entry *x = &t->entries[e];
        if (x->hash == hash && x->len == len && memcmp(x->key, key, len) == 0) {
            *found = e;
            return i;
        }
        i = (i + 1) & t->mask;
    }
}

static int table_add(Table *t, const unsigned char *key, size_t n, uint64_t hash) {
    uint32_t len = (uint32_t)n;
    int32_t found;
    uint32_t slot = index_probe(t, key, len, hash, &found);
    t->tick++;
    if (found >= 0) {
        Entry *e = &t->entries[found];
        e->count++;
        e->tick = t->tick;
        sift_down(t, e->heap_pos);
        return 0;
    }
    char *copy = PyMem_Malloc(n ? n : 1);
    if (!copy) return -1;
    memcpy(copy, key, n);
    if (t->size < t->cap) {
        int32_t id = t->size++;
        Entry *e = &t->entries[id];
        *e = (Entry){copy, len, hash, 1, 0, t->tick, t->tick, id};
        t->heap[id] = id;
        t->index[slot] = id;
        sift_up(t, id);
        return 0;
    }
    int32_t victim = t->heap[0];
    Entry *e = &t->entries[victim];
    index_remove(t, victim);
    PyMem_Free(e->key);
    int64_t floor = e->count;
    *e = (Entry){copy, len, hash, floor + 1, floor, t->tick, t->tick, 0};
    t->index[index_probe(t, key, len, hash, &found)] = victim;
    t->evictions++;
    sift_down(t, 0);
    return 0;
}

/* ---- the verdict memo -------------------------------------------------------------------------
 * Logs repeat: a message seen lately keeps its verdict and template, so a repeat skips the
 * matcher and the lexer. Bounded: MEMO_ENTRIES messages in an arena of MEMO_ARENA bytes, all
 * forgotten at once when either is full. It changes nothing but speed: a hit gives what the
 * matcher and the lexer would. Measured: 4-5x on repetitive logs, about 10% slower on input
 * where no message repeats (Loghub lines with fresh stamps), which still runs well above a
 * million lines a second; remembering only some of the time lost the long-period repeats. */

#define MEMO_SLOTS (1u << 16)
#define MEMO_ENTRIES (MEMO_SLOTS / 2)
#define MEMO_ARENA (8u << 20)

typedef struct {
    uint64_t hash, tpl_hash;
    uint32_t msg_off, msg_len, tpl_off, tpl_len;
    int32_t code; /* -1: empty slot */
} MemoSlot;

typedef struct {
    MemoSlot *slots;
    unsigned char *arena;
    size_t used;
    uint32_t entries;
} Memo;

static int memo_init(Memo *m) {
    m->slots = PyMem_Malloc(MEMO_SLOTS * sizeof(MemoSlot));
    m->arena = PyMem_Malloc(MEMO_ARENA);
    if (!m->slots || !m->arena) return -1;
    for (uint32_t i = 0; i < MEMO_SLOTS; i++) m->slots[i].code = -1;
    m->used = m->entries = 0;
    return 0;
}

static void memo_clear(Memo *m) {
    for (uint32_t i = 0; i < MEMO_SLOTS; i++) m->slots[i].code = -1;
    m->used = m->entries = 0;
}

static void memo_free(Memo *m) {
    PyMem_Free(m->slots);
    PyMem_Free(m->arena);
    m->slots = NULL;
    m->arena = NULL;
}

/* The slot holding msg, or the empty slot where it would go. */
static MemoSlot *memo_find(Memo *m, const unsigned char *msg, size_t n, uint64_t hash) {
    uint32_t i = (uint32_t)hash & (MEMO_SLOTS - 1);
    for (;;) {
        MemoSlot *e = &m->slots[i];
        if (e->code < 0) return e;
        if (e->hash == hash && e->msg_len == n && memcmp(m->arena + e->msg_off, msg, n) == 0) return e;
        i = (i + 1) & (MEMO_SLOTS - 1);
    }
}

static void memo_put(Memo *m, const unsigned char *msg, size_t n, uint64_t hash, const unsigned char *tpl,
                     size_t tn, uint64_t tpl_hash, int code) {
    if (n + tn > MEMO_ARENA / 4) return; /* a giant line: not worth remembering */
    if (m->entries >= MEMO_ENTRIES || m->used + n + tn > MEMO_ARENA) memo_clear(m);
    MemoSlot *e = memo_find(m, msg, n, hash);
    memcpy(m->arena + m->used, msg, n);
    memcpy(m->arena + m->used + n, tpl, tn);
    *e = (MemoSlot){hash, tpl_hash, (uint32_t)m->used, (uint32_t)n, (uint32_t)(m->used + n), (uint32_t)tn, code};
    m->used += n + tn;
    m->entries++;
}

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

static size_t mask_words(const unsigned char *s, size_t n, unsigned char *out, int *numbers) {
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

static size_t mask_nodes(const unsigned char *s, size_t n, unsigned char *out) {
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

/* ---- the scanner object ----------------------------------------------------------------------- */

/* The compiled catalogue: built once per process, shared by every scanner. */
typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch; /* prototype: each scanner clones its own */
    unsigned int noise_id; /* = number of signal entries; signal entry k has id k */
} Matcher;

typedef struct {
    PyObject_HEAD
    Matcher *matcher;
    hs_database_t *db;
    hs_scratch_t *scratch;
    unsigned int noise_id;
    int64_t lines;
    int64_t *tally; /* per verdict code */
    Py_ssize_t codes;
    Table table;
    Memo memo;
    int64_t memo_hits;
    unsigned char *buf1, *buf2;
    size_t buf_size;
    /* verdict code and line start of each record, when recording (analyze's record selection) */
    int record;
    uint16_t *rec;
    int64_t *rec_at;
    size_t rec_len, rec_cap;
    int64_t at;  /* line start of the record being counted */
} Scanner;

#define REQUIRE_INIT(self)                                              \
    do {                                                                \
        if (!(self)->matcher) {                                         \
            PyErr_SetString(PyExc_RuntimeError, "scanner not initialised"); \
            return NULL;                                                \
        }                                                               \
    } while (0)

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                    void *ctx) {
    (void)from;
    (void)to;
    (void)flags;
    unsigned int *best = ctx;
    if (id < *best) *best = id;
    return 0;
}

static int ensure_buf(Scanner *self, size_t n) {
    /* A template can be three times its message (digit -> <N>), and node masking three times that. */
    size_t need = 9 * n + 64;
    if (need <= self->buf_size) return 0;
    unsigned char *a = PyMem_Realloc(self->buf1, need), *b;
    if (!a) return -1;
    self->buf1 = a;
    b = PyMem_Realloc(self->buf2, need);
    if (!b) return -1;
    self->buf2 = b;
    self->buf_size = need;
    return 0;
}

static int record_code(Scanner *self, int code) {
    if (!self->record) return 0;
    if (self->rec_len == self->rec_cap) {
        size_t cap = self->rec_cap ? self->rec_cap * 2 : 65536;
        uint16_t *r = PyMem_Realloc(self->rec, cap * sizeof(uint16_t));
        if (!r) return -1;
        self->rec = r;
        int64_t *a = PyMem_Realloc(self->rec_at, cap * sizeof(int64_t));
        if (!a) return -1;
        self->rec_at = a;
        self->rec_cap = cap;
    }
    self->rec[self->rec_len] = (uint16_t)code;
    self->rec_at[self->rec_len++] = self->at;
    return 0;
}

static int count_line(Scanner *self, const unsigned char *template, size_t tlen, uint64_t thash, int code) {
    self->lines++;
    self->tally[code]++;
    if (table_add(&self->table, template, tlen, thash) < 0 || record_code(self, code) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The verdict code of one message: the first signal entry it matches, else noise, else neither. */
static int match_code(Scanner *self, const unsigned char *msg, size_t n, int *code) {
    unsigned int best = UINT32_MAX;
    if (hs_scan(self->db, (const char *)msg, (unsigned int)n, 0, self->scratch, on_match, &best) != HS_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "hyperscan scan failed");
        return -1;
    }
    *code = best < self->noise_id ? SIGNAL + (int)best : best == self->noise_id ? BORING : NEITHER;
    return 0;
}

/* The template of one message, in one of the scratch buffers; its length, or -1. */
static Py_ssize_t make_template(Scanner *self, const unsigned char *msg, size_t n, const unsigned char **out) {
    if (ensure_buf(self, n) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    int numbers = 0;
    size_t tlen = mask_words(msg, n, self->buf1, &numbers);
    *out = self->buf1;
    if (numbers >= 3 || memchr(msg, '<', n)) { /* a stamp token needs three <N> */
        tlen = mask_nodes(self->buf1, tlen, self->buf2);
        *out = self->buf2;
    }
    return (Py_ssize_t)tlen;
}

/* Template, match and count one ASCII message without control characters. */
static int settle(Scanner *self, const unsigned char *msg, size_t n) {
    int code;
    const unsigned char *tpl;
    Memo *memo = &self->memo;
    uint64_t hash = hash_bytes(msg, n);
    MemoSlot *e = memo_find(memo, msg, n, hash);
    if (e->code >= 0) {
        self->memo_hits++;
        return count_line(self, memo->arena + e->tpl_off, e->tpl_len, e->tpl_hash, e->code);
    }
    if (match_code(self, msg, n, &code) < 0) return -1;
    Py_ssize_t tlen = make_template(self, msg, n, &tpl);
    if (tlen < 0) return -1;
    uint64_t thash = hash_bytes(tpl, (size_t)tlen);
    memo_put(memo, msg, n, hash, tpl, (size_t)tlen, thash, code);
    return count_line(self, tpl, (size_t)tlen, thash, code);
}

/* Whether a line is plain ASCII without control characters other than tab. */
static inline int ordinary(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x7f || (c < 0x20 && c != '\t')) return 0;
    }
    return 1;
}

static inline int blank(unsigned char c) { return c == ' ' || c == '\t'; }

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
static Py_ssize_t message_start(const unsigned char *s, size_t n, int fmt) {
    size_t k = dmesg_prefix(s, n);
    if (k) return (Py_ssize_t)k;
    if (fmt == FMT_DMESG) return 0;
    unsigned char c = s[0]; /* plain text: syslog.message_of may still cut a header */
    if (c == '<' || c == '[') return -1;
    if (DIGIT[c]) return n >= 5 && all_in(s, 4, DIGIT) && s[4] == '-' ? -1 : 0;
    if (UPPER[c]) return n >= 4 && LOWER[s[1]] && LOWER[s[2]] && s[3] == ' ' ? -1 : 0;
    return 0;
}

/* feed(block, pos, fmt) -> (stop, line_start, line_end)
 * Settle lines of `block` (whole lines, each ending in LF) from offset `pos` until one needs
 * Python (stop = STOP_LINE, with its span without the line end) or the block ends. */
static PyObject *Scanner_feed(Scanner *self, PyObject *args) {
    REQUIRE_INIT(self);
    Py_buffer view;
    Py_ssize_t pos;
    int fmt;
    if (!PyArg_ParseTuple(args, "y*ni", &view, &pos, &fmt)) return NULL;
    const unsigned char *data = view.buf;
    size_t size = (size_t)view.len, p = (size_t)pos;
    PyObject *result = NULL;
    while (p < size) {
        const unsigned char *nl = memchr(data + p, '\n', size - p);
        size_t end = nl ? (size_t)(nl - data) : size;
        size_t next = nl ? end + 1 : size;
        size_t stop = end;
        if (stop > p && data[stop - 1] == '\r') stop--; /* CRLF */
        const unsigned char *s = data + p;
        size_t n = stop - p;
        if (!ordinary(s, n)) {
            result = Py_BuildValue("inn", STOP_LINE, (Py_ssize_t)p, (Py_ssize_t)end);
            break;
        }
        size_t a = 0;
        while (a < n && blank(s[a])) a++;
        if (a == n) { /* blank: no record */
            p = next;
            continue;
        }
        Py_ssize_t start = message_start(s, n, fmt);
        if (start < 0) {
            result = Py_BuildValue("inn", STOP_LINE, (Py_ssize_t)p, (Py_ssize_t)end);
            break;
        }
        size_t m0 = start > 0 || fmt == FMT_DMESG ? (size_t)start : a, m1 = n;
        while (m1 > m0 && blank(s[m1 - 1])) m1--;
        self->at = (int64_t)p;
        if (settle(self, s + m0, m1 - m0) < 0) goto done;
        p = next;
    }
    if (!result) result = Py_BuildValue("inn", STOP_END, (Py_ssize_t)size, (Py_ssize_t)size);
done:
    PyBuffer_Release(&view);
    return result;
}

/* add_messages(messages, start) -> index of the first message that is not plain ASCII (or len).
 * Messages parsed in Python (other formats, prefixed lines) are settled here from there on. */
static PyObject *Scanner_add_messages(Scanner *self, PyObject *args) {
    REQUIRE_INIT(self);
    PyObject *list;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &start)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = start; i < n; i++) {
        PyObject *m = PyList_GET_ITEM(list, i);
        if (!PyUnicode_Check(m) || !PyUnicode_IS_ASCII(m)) return PyLong_FromSsize_t(i);
        const unsigned char *s = PyUnicode_1BYTE_DATA(m);
        Py_ssize_t len = PyUnicode_GET_LENGTH(m);
        if (!ordinary(s, (size_t)len)) return PyLong_FromSsize_t(i);
        if (settle(self, s, (size_t)len) < 0) return NULL;
    }
    return PyLong_FromSsize_t(n);
}

/* add_verdict(template, code): count one line Python matched and templated itself. */
static PyObject *Scanner_add_verdict(Scanner *self, PyObject *args) {
    REQUIRE_INIT(self);
    const char *tpl;
    Py_ssize_t len;
    int code;
    if (!PyArg_ParseTuple(args, "s#i", &tpl, &len, &code)) return NULL;
    if (code < 0 || code >= self->codes) {
        PyErr_SetString(PyExc_ValueError, "verdict code out of range");
        return NULL;
    }
    if (count_line(self, (const unsigned char *)tpl, (size_t)len, hash_bytes((const unsigned char *)tpl, (size_t)len), code) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* verdict(message) -> code, for one ASCII message (no counting): the compiled classifier. */
static PyObject *Scanner_verdict(Scanner *self, PyObject *arg) {
    REQUIRE_INIT(self);
    Py_ssize_t len;
    int code;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s || match_code(self, (const unsigned char *)s, (size_t)len, &code) < 0) return NULL;
    return PyLong_FromLong(code);
}

/* template(message) -> its template, for one ASCII message (no counting). */
static PyObject *Scanner_template(Scanner *self, PyObject *arg) {
    REQUIRE_INIT(self);
    Py_ssize_t len;
    const unsigned char *tpl;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    Py_ssize_t tlen = make_template(self, (const unsigned char *)s, (size_t)len, &tpl);
    return tlen < 0 ? NULL : PyUnicode_DecodeUTF8((const char *)tpl, tlen, "strict");
}

/* take_codes() -> (codes, starts): bytes of the uint16 verdict code and the int64 line start
 * of each record counted since the last call (records settled in Python carry set_at's value). */
static PyObject *Scanner_take_codes(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = Py_BuildValue("y#y#", (const char *)self->rec, (Py_ssize_t)(self->rec_len * sizeof(uint16_t)),
                                  (const char *)self->rec_at, (Py_ssize_t)(self->rec_len * sizeof(int64_t)));
    self->rec_len = 0;
    return out;
}

/* set_at(start): the line start recorded for records settled from Python until the next feed. */
static PyObject *Scanner_set_at(Scanner *self, PyObject *arg) {
    long long at = PyLong_AsLongLong(arg);
    if (at == -1 && PyErr_Occurred()) return NULL;
    self->at = at;
    Py_RETURN_NONE;
}

/* Listing order: most lines first, ties to the template that entered first. */
static const Entry *rank_base;

static int rank_cmp(const void *a, const void *b) {
    const Entry *x = &rank_base[*(const int32_t *)a], *y = &rank_base[*(const int32_t *)b];
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* state(top=-1) -> (lines, tally, evictions, templates, floor, [(template, count, error), ...], memo_hits)
 * floor: the smallest count held (what any count may overstate by, once evictions happened);
 * the list: the `top` first in listing order (all of them when top < 0). */
static PyObject *Scanner_state(Scanner *self, PyObject *args) {
    REQUIRE_INIT(self);
    Py_ssize_t top = -1;
    if (!PyArg_ParseTuple(args, "|n", &top)) return NULL;
    Table *t = &self->table;
    Py_ssize_t n = top < 0 || top > t->size ? t->size : top;
    int32_t *order = PyMem_Malloc(((size_t)t->size + 1) * sizeof(int32_t));
    PyObject *tally = PyList_New(self->codes), *table = PyList_New(n);
    if (!order || !tally || !table) goto fail;
    for (int32_t i = 0; i < t->size; i++) order[i] = i;
    rank_base = t->entries;
    qsort(order, (size_t)t->size, sizeof(int32_t), rank_cmp);
    for (Py_ssize_t i = 0; i < self->codes; i++) PyList_SET_ITEM(tally, i, PyLong_FromLongLong(self->tally[i]));
    for (Py_ssize_t i = 0; i < n; i++) {
        Entry *e = &t->entries[order[i]];
        PyObject *key = PyUnicode_DecodeUTF8(e->key, e->len, "backslashreplace");
        if (!key) goto fail;
        PyList_SET_ITEM(table, i, Py_BuildValue("NLL", key, (long long)e->count, (long long)e->error));
    }
    PyMem_Free(order);
    long long floor = t->size ? (long long)t->entries[t->heap[0]].count : 0;
    return Py_BuildValue("LNLiLNL", (long long)self->lines, tally, (long long)t->evictions, (int)t->size, floor, table,
                         (long long)self->memo_hits);
fail:
    PyMem_Free(order);
    Py_XDECREF(tally);
    Py_XDECREF(table);
    return NULL;
}

static void Scanner_dealloc(Scanner *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    Py_XDECREF(self->matcher);
    table_free(&self->table);
    memo_free(&self->memo);
    PyMem_Free(self->tally);
    PyMem_Free(self->buf1);
    PyMem_Free(self->buf2);
    PyMem_Free(self->rec);
    PyMem_Free(self->rec_at);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *CompileError;
static PyTypeObject MatcherType;

/* Scanner(matcher, capacity, record=False): counts of its own over a shared matcher. */
static int Scanner_init(Scanner *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"matcher", "capacity", "record", NULL};
    PyObject *matcher;
    int capacity, record = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!i|p", kwlist, &MatcherType, &matcher, &capacity, &record))
        return -1;
    if (capacity < 1 || self->matcher) {
        PyErr_SetString(PyExc_ValueError, "capacity must be at least 1 (and a scanner is initialised once)");
        return -1;
    }
    Matcher *m = (Matcher *)matcher;
    if (hs_clone_scratch(m->scratch, &self->scratch) != HS_SUCCESS) {
        PyErr_SetString(PyExc_MemoryError, "hyperscan scratch");
        return -1;
    }
    Py_INCREF(matcher);
    self->matcher = m;
    self->db = m->db;
    self->noise_id = m->noise_id;
    self->codes = SIGNAL + (Py_ssize_t)m->noise_id;
    self->tally = PyMem_Calloc((size_t)self->codes, sizeof(int64_t));
    self->record = record;
    if (!self->tally || table_init(&self->table, capacity) < 0 || memo_init(&self->memo) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void Matcher_dealloc(Matcher *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->db) hs_free_database(self->db);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Matcher(patterns, ids, n_signals, serialized=None)
 * patterns: list of bytes (RE2/PCRE syntax without named groups); ids: the signal entry index
 * of each, or n_signals for a noise pattern. serialized: a database Matcher.serialize() gave
 * for the same patterns on this machine (the caller keys its cache on them); CompileError when
 * it cannot be used here. */
static int Matcher_init(Matcher *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"patterns", "ids", "n_signals", "serialized", NULL};
    PyObject *patterns, *ids;
    Py_buffer cached = {0};
    int n_signals;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!i|z*", kwlist, &PyList_Type, &patterns, &PyList_Type, &ids,
                                     &n_signals, &cached))
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(patterns);
    const char **exprs = NULL;
    unsigned int *flags = NULL, *idv = NULL;
    int rc = -1;
    if (n == 0 || n != PyList_GET_SIZE(ids) || n_signals < 0 || self->db) {
        PyErr_SetString(PyExc_ValueError, "patterns and ids must be non-empty lists of one length");
        goto out;
    }
    if (cached.buf) {
        hs_error_t status = hs_deserialize_database(cached.buf, (size_t)cached.len, &self->db);
        if (status != HS_SUCCESS) {
            self->db = NULL;
            PyErr_Format(CompileError, "the cached database cannot be used here (hyperscan error %d)", (int)status);
            goto out;
        }
    } else {
        exprs = PyMem_Calloc((size_t)n, sizeof(char *));
        flags = PyMem_Calloc((size_t)n, sizeof(unsigned int));
        idv = PyMem_Calloc((size_t)n, sizeof(unsigned int));
        if (!exprs || !flags || !idv) {
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *p = PyList_GET_ITEM(patterns, i);
            if (!PyBytes_Check(p)) {
                PyErr_SetString(PyExc_TypeError, "patterns must be bytes");
                goto out;
            }
            exprs[i] = PyBytes_AS_STRING(p);
            /* One report per id and line is all a verdict needs. */
            flags[i] = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
            idv[i] = (unsigned int)PyLong_AsUnsignedLong(PyList_GET_ITEM(ids, i));
            if (PyErr_Occurred()) goto out;
            if (idv[i] > (unsigned int)n_signals) {
                PyErr_SetString(PyExc_ValueError, "pattern id above n_signals");
                goto out;
            }
        }
        hs_compile_error_t *err = NULL;
        hs_error_t status;
        Py_BEGIN_ALLOW_THREADS
        status = hs_compile_multi(exprs, flags, idv, (unsigned int)n, HS_MODE_BLOCK, NULL, &self->db, &err);
        Py_END_ALLOW_THREADS
        if (status != HS_SUCCESS) {
            self->db = NULL;
            PyErr_Format(CompileError, "pattern %d: %s", err ? err->expression : -1,
                         err ? err->message : "compile failed");
            if (err) hs_free_compile_error(err);
            goto out;
        }
    }
    unsigned int probe = UINT32_MAX; /* a database built for another CPU fails here, not mid-scan */
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS ||
        hs_scan(self->db, "", 0, 0, self->scratch, on_match, &probe) != HS_SUCCESS) {
        PyErr_SetString(CompileError, "the compiled catalogue cannot run on this machine");
        goto out;
    }
    self->noise_id = (unsigned int)n_signals;
    rc = 0;
out:
    if (cached.buf) PyBuffer_Release(&cached);
    PyMem_Free(exprs);
    PyMem_Free(flags);
    PyMem_Free(idv);
    return rc;
}

/* serialize() -> bytes: the compiled database, for a cache that Matcher(..., serialized=) reads. */
static PyObject *Matcher_serialize(Matcher *self, PyObject *Py_UNUSED(ignored)) {
    char *bytes = NULL;
    size_t length = 0;
    if (!self->db || hs_serialize_database(self->db, &bytes, &length) != HS_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "hyperscan could not serialize the database");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)length);
    free(bytes); /* hyperscan's default allocator */
    return out;
}

static PyMethodDef Matcher_methods[] = {
    {"serialize", (PyCFunction)Matcher_serialize, METH_NOARGS, "The compiled database as bytes."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasseograph._scancore.Matcher",
    .tp_basicsize = sizeof(Matcher),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Matcher_init,
    .tp_dealloc = (destructor)Matcher_dealloc,
    .tp_methods = Matcher_methods,
    .tp_doc = "The catalogue compiled into one Hyperscan database (once per process).",
};

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_VARARGS, "Settle the lines of a block from an offset."},
    {"add_messages", (PyCFunction)Scanner_add_messages, METH_VARARGS, "Settle messages parsed in Python."},
    {"add_verdict", (PyCFunction)Scanner_add_verdict, METH_VARARGS, "Count a line settled in Python."},
    {"verdict", (PyCFunction)Scanner_verdict, METH_O, "Verdict code of one ASCII message."},
    {"template", (PyCFunction)Scanner_template, METH_O, "Template of one ASCII message."},
    {"take_codes", (PyCFunction)Scanner_take_codes, METH_NOARGS, "Recorded verdict codes and line starts."},
    {"set_at", (PyCFunction)Scanner_set_at, METH_O, "Line start recorded for records settled in Python."},
    {"state", (PyCFunction)Scanner_state, METH_VARARGS, "Counts and the top of the template table."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tasseograph._scancore.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
    .tp_doc = "The compiled bulk scanner (see tasseograph.bulkcore).",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scancore", "The bulk local path's compiled hot loop.", -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scancore(void) {
    init_tables();
    if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&MatcherType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    CompileError = PyErr_NewException("tasseograph._scancore.CompileError", PyExc_ValueError, NULL);
    if (PyModule_AddObjectRef(m, "CompileError", CompileError) < 0 ||
        PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0 ||
        PyModule_AddObjectRef(m, "Matcher", (PyObject *)&MatcherType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddStringConstant(m, "HS_VERSION", hs_version());
    PyModule_AddIntConstant(m, "FMT_DMESG", FMT_DMESG);
    PyModule_AddIntConstant(m, "FMT_PLAIN", FMT_PLAIN);
    PyModule_AddIntConstant(m, "STOP_END", STOP_END);
    PyModule_AddIntConstant(m, "STOP_LINE", STOP_LINE);
    return m;
}
