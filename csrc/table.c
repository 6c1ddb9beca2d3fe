#include "scancore.h"

/* ---- the template table: space-saving (Metwally et al.) --------------------------------------
 * At most `cap` templates. A new template when the table is full takes the place of the one
 * with the smallest (count, tick) -- tick being when its count last changed -- and inherits
 * that count as its error: true count <= count <= true count + error, and error <= lines / cap.
 */

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

int table_init(Table *t, int32_t cap) {
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

void table_free(Table *t) {
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

int table_add(Table *t, const unsigned char *key, size_t n, uint64_t hash) {
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
