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
#include "scancore.h"

#include <hs/hs.h>

/* What feed() stopped for: the end of the block, or a line Python must settle. */
enum { STOP_END = 0, STOP_LINE = 1 };

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
