/* Shared by the compiled bulk core's files (see tasseograph/_scancore.c): verdict codes, ASCII
 * character classes, hashing, and each part's interface. */
#ifndef TASSEOGRAPH_SCANCORE_H
#define TASSEOGRAPH_SCANCORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NEITHER = 0, BORING = 1, SIGNAL = 2 };
enum { FMT_DMESG = 0, FMT_PLAIN = 1 };

/* ---- character classes (ASCII; chars.c fills them) ------------------------------------------ */

extern unsigned char WORD[256], HEX[256], DIGIT[256], LOWER[256], UPPER[256], ALPHA[256];
/* Bits of CLASS: a word byte, a hex digit, a decimal digit. A word's classes are their AND. */
enum { C_WORD = 1, C_HEX = 2, C_DIGIT = 4 };
extern unsigned char CLASS[256];
void init_tables(void);

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

static inline uint64_t hash_bytes(const unsigned char *p, size_t n) {
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

/* ---- the template table (table.c): space-saving heavy hitters ------------------------------ */

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

int table_init(Table *t, int32_t cap);
void table_free(Table *t);
int table_add(Table *t, const unsigned char *key, size_t n, uint64_t hash);

/* ---- the verdict memo (memo.c): recent messages' verdicts and templates ---------------------- */

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

int memo_init(Memo *m);
void memo_clear(Memo *m);
void memo_free(Memo *m);
MemoSlot *memo_find(Memo *m, const unsigned char *msg, size_t n, uint64_t hash);
void memo_put(Memo *m, const unsigned char *msg, size_t n, uint64_t hash, const unsigned char *tpl, size_t tn,
              uint64_t tpl_hash, int code);

/* ---- the template lexer (lexer.c) ------------------------------------------------------------ */

size_t mask_words(const unsigned char *s, size_t n, unsigned char *out, int *numbers);
size_t mask_nodes(const unsigned char *s, size_t n, unsigned char *out);

/* ---- line prefixes (prefix.c) --------------------------------------------------------------- */

Py_ssize_t message_start(const unsigned char *s, size_t n, int fmt);

#endif
