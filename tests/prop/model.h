/*
 * model.h — a deliberately simple reference model of the CE address space, written straight
 * from the specification for the model-based tests: flat per-page arrays for the process slot
 * (seen through slot 0) and the large area (CE 5), or the 2 GB user space and kernel VM (CE 6
 * and Compact 7, model_ce6.c), per-block reservation records, and per-frame values standing in
 * for memory contents. It knows nothing of cevm's data structures. The caller is a trusted
 * (CE 5) or kernel-mode (CE 6+) driver.
 */
#ifndef CEVM_TEST_MODEL_H
#define CEVM_TEST_MODEL_H

#include <stdint.h>

#define M_SLOT_PAGES  8192u /* 32 MB */
#define M_LARGE_BASE  0x42000000u
#define M_LARGE_PAGES 237568u /* 29 x 32 MB */
/* CE 6+: user space 0..2 GB, then kernel VM 0xD0000000..0xEFFFFFFF. */
#define M6_USER_PAGES 524288u
#define M6_KVM_BASE   0xD0000000u
#define M6_KVM_PAGES  131072u
#define M_PAGES       (M6_USER_PAGES + M6_KVM_PAGES) /* the larger of the two layouts */
#define M_BLOCKS      (M_PAGES / 16)
#define M_NONE        0xFFFFFFFFu

enum { MS_FREE, MS_RESERVED, MS_COMMITTED, MS_PAST_END };

struct mpage {
    uint8_t state;
    uint8_t guard;
    uint16_t prot;  /* CE protection as VirtualQuery reports it (committed pages) */
    uint32_t frame; /* frame id: RAM frames count up from 1; device frames are 0x80000000|pfn */
};

struct mblock {
    uint32_t base; /* first block of its reservation, or M_NONE */
    uint8_t autocommit, huge;
    uint16_t locks;
};

struct model {
    int version; /* 5, 6 or 7 */
    struct mpage page[M_PAGES];
    struct mblock block[M_BLOCKS];
    uint32_t huge_units[29];
    uint32_t next_frame;
    uint32_t *value; /* value of a RAM frame's first word, indexed by frame id */
    uint32_t nvalue;
    uint32_t gpio[1024]; /* the GPIO register file, by word */
    uint32_t committed;  /* RAM frames in use */
    struct {
        int64_t first;
        uint32_t n;
    } lockr[256]; /* CE 6+: locked ranges (first page index, pages) */
    uint32_t nlockr;
};

/* Empty address space of CE version 5, 6 or 7. */
void model_reset(struct model *m, int version);
/* Index of CE address a (slot 0 or large area; CE 6+: user space or kernel VM), or -1. */
int64_t model_index(const struct model *m, uint32_t a);

/* Shared by the VirtualCopy models: whether pages [i0, i0 + n) are all reserved (and n at most
 * 64); the frames of a physical (PA >> 8) or static-window source, 0 if the source is not a
 * mapped static row or its page offset differs from dst's; committing the destination pages to
 * frames with protection shown. */
int model_copy_target(const struct model *m, int64_t i0, uint32_t n);
int model_device_frames(int phys, uint32_t src, uint32_t dst, uint32_t n, uint32_t *frames);
void model_map_frames(struct model *m, int64_t i0, uint32_t n, const uint32_t *frames,
                      uint32_t shown);

/* The CE calls, returning the CE result and setting *err as GetLastError would. */
uint32_t model_alloc(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t prot,
                     uint32_t *err);
/* type may add MODEL_FREE_FORCE: FreePhysMem's forced release of locked blocks. */
#define MODEL_FREE_FORCE 0x80000000u
uint32_t model_free(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t *err);
/* AllocPhysMem's reservation is locked (CE 5): one lock on each block of [addr, addr+size). */
void model_lock_blocks(struct model *m, uint32_t addr, uint32_t size);
uint32_t model_protect(struct model *m, uint32_t addr, uint32_t size, uint32_t prot, uint32_t *old,
                       uint32_t *err);
struct mquery {
    uint32_t base, alloc_base, size, state, protect, type;
};
uint32_t model_query(struct model *m, uint32_t addr, struct mquery *q, uint32_t *err);
uint32_t model_copy(struct model *m, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot,
                    uint32_t *err);
/* LockPages / UnlockPages (spec §9, CE 5 per-block lock counts). */
uint32_t model_lock(struct model *m, uint32_t addr, uint32_t size, uint32_t flags, uint32_t *err);
uint32_t model_unlock(struct model *m, uint32_t addr, uint32_t size, uint32_t *err);
/* A touch: 0 ok (*val read or written), 1 access violation. */
int model_touch(struct model *m, uint32_t addr, int write, uint32_t *val);

/* ---- shared by model.c and model_ce6.c ---- */
/* The CE address of page index idx. */
uint32_t model_addr(const struct model *m, int64_t idx);
/* VirtualQuery of the reserved or committed page idx: the run of its reservation with the same
 * state and protection. */
void model_describe_used(const struct model *m, int64_t idx, struct mquery *q);
/* A new RAM frame (value 0). */
uint32_t model_new_frame(struct model *m);
/* Protection check (spec §3.1): 0 ok (*shown: what VirtualQuery shows), 1 bad, 2 write-copy. */
int model_check_prot(uint32_t prot, uint32_t *shown);
/* The pages [a, a+size) touch, within one reservation: 1 and *first, *n; else 0. */
int model_one_reservation(struct model *m, uint32_t a, uint32_t size, int64_t *first, uint32_t *n);
/* Reserve `pages` pages from block b0; commit n pages from index i0 with protection shown. */
void model_reserve(struct model *m, int64_t b0, uint32_t pages, int autocommit, int huge);
void model_commit(struct model *m, int64_t i0, uint32_t n, uint32_t shown);

/* ---- CE 6.0 and Compact 7 (model_ce6.c) ---- */
uint32_t model6_alloc(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t prot,
                      uint32_t *err);
uint32_t model6_free(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t *err);
uint32_t model6_protect(struct model *m, uint32_t addr, uint32_t size, uint32_t prot, uint32_t *old,
                        uint32_t *err);
uint32_t model6_query(struct model *m, uint32_t addr, struct mquery *q, uint32_t *err);
uint32_t model6_copy(struct model *m, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot,
                     uint32_t *err);
uint32_t model6_lock(struct model *m, uint32_t addr, uint32_t size, uint32_t flags, uint32_t *err);
uint32_t model6_unlock(struct model *m, uint32_t addr, uint32_t size, uint32_t *err);

#endif
