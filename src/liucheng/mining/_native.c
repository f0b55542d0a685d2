/* Compiled kernels for the two analyses whose cost is mostly per-event bookkeeping: finding the
 * cases of a log listed case by case, and grouping the cases into variants.
 *
 * ``_kernels.py`` prepares the arrays (NumPy, contiguous, of the documented types) and falls back
 * to its own NumPy versions when this module is not built; tests check both give the same results.
 * Inputs are taken through the buffer protocol only, so no NumPy headers are needed to build.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers ----------------------------------------------------------------------------------- */

static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n) {
    /* FNV-1a, then a final mix so that the low bits used for the slot are well spread. */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static Py_ssize_t table_size(Py_ssize_t n) {
    Py_ssize_t size = 16;
    while (size < 2 * n) size <<= 1;
    return size;
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what, int writable) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) return -1;
    if (view->len % itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of %zd-byte items", what, view->len,
                     itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* --- case_runs ----------------------------------------------------------------------------------- */

/* Whether ``n`` bytes at ``a`` and ``b`` are equal; reads whole 8-byte words (masked) where the
 * buffer, which ends at ``end``, has room for them after ``a`` (``b`` comes before ``a``). */
static inline int same_bytes(const unsigned char *a, const unsigned char *b, int64_t n, const unsigned char *end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (a + n + 8 <= end) {
        uint64_t x, y;
        for (; n >= 8; n -= 8, a += 8, b += 8) {
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y) return 0;
        }
        if (!n) return 1;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return ((x ^ y) & ((1ULL << (8 * n)) - 1)) == 0; /* the first n bytes are the low ones */
    }
#endif
    (void)end;
    return memcmp(a, b, (size_t)n) == 0;
}

PyDoc_STRVAR(case_runs_doc,
"case_runs(offsets, data, starts) -> int\n\n"
"The rows where a new case id begins, for a string column given as its Arrow offsets (int32 or\n"
"int64, one more than the rows, as the buffer's item size says) and bytes. Writes them into\n"
"``starts`` (int64, one per row) and returns how many there are, or -1 when some id begins two\n"
"runs (a case not listed in one piece).");

#define CASE_RUNS(TYPE)                                                                                       \
    do {                                                                                                    \
        const TYPE *offsets = (const TYPE *)b_offsets.buf;                                                 \
        Py_ssize_t n = b_offsets.len / (Py_ssize_t)sizeof(TYPE) - 1;                                       \
        if (n < 0 || b_starts.len / 8 < n) {                                                               \
            PyErr_SetString(PyExc_ValueError, "case_runs: starts must hold one item per row");               \
            goto done;                                                                                      \
        }                                                                                                   \
        if (offsets[0] < 0 || offsets[n] > b_data.len) {                                                    \
            PyErr_SetString(PyExc_ValueError, "case_runs: the offsets point outside the data");              \
            goto done;                                                                                      \
        }                                                                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                               \
            if (offsets[i + 1] < offsets[i]) {                                                              \
                PyErr_Format(PyExc_ValueError, "case_runs: offset %zd is out of order", i + 1);              \
                goto done;                                                                                  \
            }                                                                                               \
        }                                                                                                   \
        found = 0;                                                                                          \
        if (n == 0) goto done;                                                                              \
        starts[found++] = 0;                                                                                \
        for (Py_ssize_t i = 1; i < n; i++) {                                                               \
            int64_t length = offsets[i + 1] - offsets[i];                                                  \
            if (length != offsets[i] - offsets[i - 1] ||                                                    \
                !same_bytes(data + offsets[i], data + offsets[i - 1], length, end))                         \
                starts[found++] = i;                                                                        \
        }                                                                                                   \
        /* No id may head two runs: a hash set of the run heads. */                                         \
        Py_ssize_t size = table_size(found);                                                                \
        slots = PyMem_Malloc(sizeof(int64_t) * size);                                                       \
        if (!slots) {                                                                                       \
            PyErr_NoMemory();                                                                               \
            found = -2;                                                                                     \
            goto done;                                                                                      \
        }                                                                                                   \
        memset(slots, 0xff, sizeof(int64_t) * size); /* -1: empty */                                        \
        for (Py_ssize_t k = 0; k < found; k++) {                                                           \
            int64_t row = starts[k];                                                                        \
            const unsigned char *text = data + offsets[row];                                                \
            int64_t length = offsets[row + 1] - offsets[row];                                              \
            Py_ssize_t slot = (Py_ssize_t)(hash_bytes(text, length) & (uint64_t)(size - 1));                 \
            while (slots[slot] >= 0) {                                                                      \
                int64_t other = slots[slot];                                                                \
                if (offsets[other + 1] - offsets[other] == length &&                                        \
                    memcmp(data + offsets[other], text, (size_t)length) == 0) {                             \
                    found = -1;                                                                             \
                    goto done;                                                                              \
                }                                                                                           \
                slot = (slot + 1) & (size - 1);                                                            \
            }                                                                                               \
            slots[slot] = row;                                                                              \
        }                                                                                                   \
    } while (0)

static PyObject *case_runs(PyObject *self, PyObject *args) {
    PyObject *o_offsets, *o_data, *o_starts;
    int offset_size;
    (void)self;
    if (!PyArg_ParseTuple(args, "OiOO", &o_offsets, &offset_size, &o_data, &o_starts)) return NULL;
    if (offset_size != 4 && offset_size != 8) {
        PyErr_SetString(PyExc_ValueError, "case_runs: offsets are 4 or 8 bytes each");
        return NULL;
    }
    Py_buffer b_offsets, b_data, b_starts;
    if (get_buffer(o_offsets, &b_offsets, offset_size, "offsets", 0) < 0) return NULL;
    if (get_buffer(o_data, &b_data, 1, "data", 0) < 0) {
        PyBuffer_Release(&b_offsets);
        return NULL;
    }
    if (get_buffer(o_starts, &b_starts, 8, "starts", 1) < 0) {
        PyBuffer_Release(&b_offsets);
        PyBuffer_Release(&b_data);
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)b_data.buf, *end = data + b_data.len;
    int64_t *starts = (int64_t *)b_starts.buf;
    Py_ssize_t found = -2; /* -2: an error was set */
    int64_t *slots = NULL;
    if (offset_size == 4) CASE_RUNS(int32_t);
    else CASE_RUNS(int64_t);
done:
    PyMem_Free(slots);
    PyBuffer_Release(&b_offsets);
    PyBuffer_Release(&b_data);
    PyBuffer_Release(&b_starts);
    if (found == -2) return NULL;
    return PyLong_FromSsize_t(found);
}

/* --- variant_groups ------------------------------------------------------------------------------ */

/* Ranking: one record per variant, compared inline (counts, then the first eight key bytes as one
 * big-endian number, then the rest of the bytes, then the length: as tuples of names compare). */
typedef struct {
    int64_t count;
    uint64_t prefix;
    int64_t group;
} Rank;

typedef struct {
    const unsigned char *keys;
    const int64_t *bounds;
    const int64_t *first;
    int width;
} Keys;

static inline int before(const Rank *a, const Rank *b, const Keys *k) {
    if (a->count != b->count) return a->count > b->count; /* most cases first */
    if (a->prefix != b->prefix) return a->prefix < b->prefix;
    int64_t ca = k->first[a->group], cb = k->first[b->group];
    int64_t la = (k->bounds[ca + 1] - k->bounds[ca]) * k->width, lb = (k->bounds[cb + 1] - k->bounds[cb]) * k->width;
    int64_t common = la < lb ? la : lb;
    if (common > 8) {
        int order = memcmp(k->keys + k->bounds[ca] * k->width + 8, k->keys + k->bounds[cb] * k->width + 8,
                           (size_t)(common - 8));
        if (order) return order < 0;
    }
    return la < lb; /* a prefix first */
}

static void merge_sort(Rank *items, Rank *scratch, Py_ssize_t n, const Keys *k) {
    if (n < 2) return;
    if (n <= 16) { /* insertion sort for short runs */
        for (Py_ssize_t i = 1; i < n; i++) {
            Rank item = items[i];
            Py_ssize_t j = i;
            while (j > 0 && before(&item, &items[j - 1], k)) {
                items[j] = items[j - 1];
                j--;
            }
            items[j] = item;
        }
        return;
    }
    Py_ssize_t half = n / 2;
    merge_sort(items, scratch, half, k);
    merge_sort(items + half, scratch, n - half, k);
    if (!before(&items[half], &items[half - 1], k)) return; /* already in order */
    memcpy(scratch, items, sizeof(Rank) * half);
    Py_ssize_t i = 0, j = half, out = 0;
    while (i < half && j < n) items[out++] = before(&items[j], &scratch[i], k) ? items[j++] : scratch[i++];
    while (i < half) items[out++] = scratch[i++];
}

/* The value that would stand at ``kth`` if ``values`` were sorted (which they partly become). */
static double select_kth(double *values, Py_ssize_t n, Py_ssize_t kth) {
    Py_ssize_t low = 0, high = n - 1;
    while (low < high) {
        double pivot = values[low + (high - low) / 2];
        Py_ssize_t i = low, j = high;
        while (i <= j) {
            while (values[i] < pivot) i++;
            while (values[j] > pivot) j--;
            if (i <= j) {
                double swap = values[i];
                values[i] = values[j];
                values[j] = swap;
                i++;
                j--;
            }
        }
        if (kth <= j) high = j;
        else if (kth >= i) low = i;
        else return values[kth];
    }
    return values[kth];
}

static double median_of(double *values, Py_ssize_t n) {
    double upper = select_kth(values, n, n / 2);
    if (n % 2) return upper;
    /* The lower middle is the largest value left of n / 2 after the selection. */
    double lower = values[0];
    for (Py_ssize_t i = 1; i < n / 2; i++)
        if (values[i] > lower) lower = values[i];
    return (lower + upper) / 2;
}

static uint64_t hash_key(const unsigned char *p, Py_ssize_t n) {
    /* Eight bytes at a time, then the final mix. */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)n, word;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&word, p + i, 8);
        h = (h ^ word) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    if (i < n) {
        word = 0;
        memcpy(&word, p + i, (size_t)(n - i));
        h = (h ^ word) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

PyDoc_STRVAR(variant_groups_doc,
"variant_groups(bounds, codes, rank, names, durations) -> (activities, counts, means, medians)\n\n"
"Group the cases (``bounds``: int64, each case's first row and then the number of rows) by their\n"
"activity sequence (``codes``: int64 per row). ``rank``: int64 per code, its name's place in name\n"
"order (equal names, equal rank); ``names``: a tuple of the names by rank; ``durations``: float64\n"
"per case. Returns four lists, most frequent variant first, ties by the names as tuples compare:\n"
"each variant's tuple of names, its number of cases, and its cases' mean and median duration.");

static PyObject *variant_groups(PyObject *self, PyObject *args) {
    PyObject *o_bounds, *o_codes, *o_rank, *names, *o_durations;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOO!O", &o_bounds, &o_codes, &o_rank, &PyTuple_Type, &names, &o_durations))
        return NULL;
    Py_buffer b_bounds, b_codes, b_rank, b_durations;
    if (get_buffer(o_bounds, &b_bounds, 8, "bounds", 0) < 0) return NULL;
    if (get_buffer(o_codes, &b_codes, 8, "codes", 0) < 0) {
        PyBuffer_Release(&b_bounds);
        return NULL;
    }
    if (get_buffer(o_rank, &b_rank, 8, "rank", 0) < 0) {
        PyBuffer_Release(&b_bounds);
        PyBuffer_Release(&b_codes);
        return NULL;
    }
    if (get_buffer(o_durations, &b_durations, 8, "durations", 0) < 0) {
        PyBuffer_Release(&b_bounds);
        PyBuffer_Release(&b_codes);
        PyBuffer_Release(&b_rank);
        return NULL;
    }
    const int64_t *bounds = (const int64_t *)b_bounds.buf, *codes = (const int64_t *)b_codes.buf;
    const int64_t *rank = (const int64_t *)b_rank.buf;
    const double *durations = (const double *)b_durations.buf;
    Py_ssize_t n_cases = b_bounds.len / 8 - 1, n_events = b_codes.len / 8, n_codes = b_rank.len / 8;
    Py_ssize_t n_names = PyTuple_GET_SIZE(names);
    int width = n_names <= 256 ? 1 : n_names <= 65536 ? 2 : 4;
    PyObject *result = NULL, *activities = NULL, *counts_out = NULL, *means_out = NULL, *medians_out = NULL;
    unsigned char *keys = NULL;
    int64_t *group = NULL, *first = NULL, *counts = NULL, *slots = NULL, *at = NULL;
    uint64_t *hashes = NULL;
    double *sums = NULL, *sorted = NULL, *medians = NULL;
    Rank *ranking = NULL, *scratch = NULL;
    Py_ssize_t n_groups = 0;

    if (n_cases < 0 || b_durations.len / 8 != n_cases ||
        (n_cases && (bounds[0] != 0 || bounds[n_cases] != n_events))) {
        PyErr_SetString(PyExc_ValueError, "variant_groups: bounds, codes and durations do not fit together");
        goto done;
    }
    for (Py_ssize_t c = 0; c < n_cases; c++) {
        if (bounds[c + 1] < bounds[c]) {
            PyErr_Format(PyExc_ValueError, "variant_groups: case %zd ends before it starts", c);
            goto done;
        }
    }
    keys = PyMem_Malloc((size_t)width * (n_events ? n_events : 1));
    group = PyMem_Malloc(sizeof(int64_t) * (n_cases ? n_cases : 1));
    first = PyMem_Malloc(sizeof(int64_t) * (n_cases ? n_cases : 1));
    counts = PyMem_Calloc(n_cases ? n_cases : 1, sizeof(int64_t));
    hashes = PyMem_Malloc(sizeof(uint64_t) * (n_cases ? n_cases : 1));
    sums = PyMem_Calloc(n_cases ? n_cases : 1, sizeof(double));
    Py_ssize_t size = table_size(n_cases);
    slots = PyMem_Malloc(sizeof(int64_t) * size);
    if (!keys || !group || !first || !counts || !hashes || !sums || !slots) {
        PyErr_NoMemory();
        goto done;
    }
    /* Each row's name rank, big-endian in ``width`` bytes: a case's bytes compare as its names do. */
    for (Py_ssize_t i = 0; i < n_events; i++) {
        int64_t code = codes[i];
        if (code < 0 || code >= n_codes || rank[code] < 0 || rank[code] >= n_names) {
            PyErr_Format(PyExc_ValueError, "variant_groups: row %zd has activity code %lld, which names nothing", i,
                         (long long)code);
            goto done;
        }
        uint32_t r = (uint32_t)rank[code];
        unsigned char *to = keys + i * width;
        for (int j = width - 1; j >= 0; j--) {
            to[j] = (unsigned char)(r & 0xff);
            r >>= 8;
        }
    }
    /* Group the cases by their bytes in an open-addressing table, compared exactly. */
    memset(slots, 0xff, sizeof(int64_t) * size);
    for (Py_ssize_t c = 0; c < n_cases; c++) {
        const unsigned char *key = keys + bounds[c] * width;
        int64_t length = bounds[c + 1] - bounds[c];
        uint64_t h = hash_key(key, length * width);
        Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)(size - 1));
        int64_t g;
        for (;;) {
            g = slots[slot];
            if (g < 0) {
                g = n_groups++;
                slots[slot] = g;
                first[g] = c;
                hashes[g] = h;
                break;
            }
            int64_t other = first[g];
            if (hashes[g] == h && bounds[other + 1] - bounds[other] == length &&
                memcmp(keys + bounds[other] * width, key, (size_t)(length * width)) == 0)
                break;
            slot = (slot + 1) & (size - 1);
        }
        group[c] = g;
        counts[g] += 1;
        sums[g] += durations[c];
    }
    /* Each group's durations together (a counting sort by group), then the middle one or two. */
    at = PyMem_Malloc(sizeof(int64_t) * (n_groups + 1));
    sorted = PyMem_Malloc(sizeof(double) * (n_cases ? n_cases : 1));
    ranking = PyMem_Malloc(sizeof(Rank) * (n_groups ? n_groups : 1));
    scratch = PyMem_Malloc(sizeof(Rank) * (n_groups ? n_groups : 1));
    medians = PyMem_Malloc(sizeof(double) * (n_groups ? n_groups : 1));
    if (!at || !sorted || !ranking || !scratch || !medians) {
        PyErr_NoMemory();
        goto done;
    }
    at[0] = 0;
    for (Py_ssize_t g = 0; g < n_groups; g++) at[g + 1] = at[g] + counts[g];
    for (Py_ssize_t c = 0; c < n_cases; c++) sorted[at[group[c]]++] = durations[c];
    for (Py_ssize_t g = n_groups; g > 0; g--) at[g] = at[g - 1];
    at[0] = 0;
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        medians[g] = counts[g] > 1 ? median_of(sorted + at[g], counts[g]) : sorted[at[g]];
        const unsigned char *key = keys + bounds[first[g]] * width;
        int64_t length = (bounds[first[g] + 1] - bounds[first[g]]) * width;
        uint64_t prefix = 0;
        for (int j = 0; j < 8; j++) prefix = (prefix << 8) | (j < length ? key[j] : 0);
        ranking[g].count = counts[g];
        ranking[g].prefix = prefix;
        ranking[g].group = g;
    }
    Keys by = {keys, bounds, first, width};
    merge_sort(ranking, scratch, n_groups, &by);

    int all_strings = 1;
    for (Py_ssize_t i = 0; i < n_names; i++) all_strings &= PyUnicode_CheckExact(PyTuple_GET_ITEM(names, i));
    activities = PyList_New(n_groups);
    counts_out = PyList_New(n_groups);
    means_out = PyList_New(n_groups);
    medians_out = PyList_New(n_groups);
    if (!activities || !counts_out || !means_out || !medians_out) goto done;
    for (Py_ssize_t k = 0; k < n_groups; k++) {
        int64_t g = ranking[k].group, c = first[g];
        int64_t length = bounds[c + 1] - bounds[c];
        PyObject *sequence = PyTuple_New(length);
        if (!sequence) goto done;
        const unsigned char *key = keys + bounds[c] * width;
        for (int64_t i = 0; i < length; i++) {
            uint32_t r = 0;
            for (int j = 0; j < width; j++) r = (r << 8) | key[i * width + j];
            PyObject *name = PyTuple_GET_ITEM(names, r);
            Py_INCREF(name);
            PyTuple_SET_ITEM(sequence, i, name);
        }
        /* A tuple of strings cannot be part of a reference cycle: the collector would untrack it at
         * its first pass anyway (as it does every such tuple); untracked now, it never visits it. */
        if (all_strings) PyObject_GC_UnTrack(sequence);
        PyList_SET_ITEM(activities, k, sequence);
        int64_t size_g = counts[g];
        PyObject *count = PyLong_FromLongLong(size_g);
        PyObject *mean = PyFloat_FromDouble(sums[g] / (double)size_g);
        PyObject *median = PyFloat_FromDouble(medians[g]);
        if (!count || !mean || !median) {
            Py_XDECREF(count);
            Py_XDECREF(mean);
            Py_XDECREF(median);
            goto done;
        }
        PyList_SET_ITEM(counts_out, k, count);
        PyList_SET_ITEM(means_out, k, mean);
        PyList_SET_ITEM(medians_out, k, median);
    }
    result = PyTuple_Pack(4, activities, counts_out, means_out, medians_out);
done:
    Py_XDECREF(activities);
    Py_XDECREF(counts_out);
    Py_XDECREF(means_out);
    Py_XDECREF(medians_out);
    PyMem_Free(keys);
    PyMem_Free(group);
    PyMem_Free(first);
    PyMem_Free(counts);
    PyMem_Free(hashes);
    PyMem_Free(sums);
    PyMem_Free(slots);
    PyMem_Free(ranking);
    PyMem_Free(scratch);
    PyMem_Free(medians);
    PyMem_Free(at);
    PyMem_Free(sorted);
    PyBuffer_Release(&b_bounds);
    PyBuffer_Release(&b_codes);
    PyBuffer_Release(&b_rank);
    PyBuffer_Release(&b_durations);
    return result;
}

static PyMethodDef methods[] = {
    {"case_runs", case_runs, METH_VARARGS, case_runs_doc},
    {"variant_groups", variant_groups, METH_VARARGS, variant_groups_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "Compiled kernels for liucheng.mining._kernels.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
