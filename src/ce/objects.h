/*
 * objects.h — CE kernel objects behind HANDLEs (sync.c owns the list; msgqueue.c adds message
 * queues). Every field is read and written with g_obj held; g_changed is broadcast whenever an
 * object may have become signalled.
 */
#ifndef CEVM_OBJECTS_H
#define CEVM_OBJECTS_H

#include <pthread.h>

#include "windows.h"
#include "proc/stack.h"

enum kind { K_EVENT = 1, K_THREAD, K_MUTEX, K_SEMAPHORE, K_MSGQ };

struct msgq;

struct object {
    enum kind kind;
    int refs;
    WCHAR *name;  /* named objects: one name space per kind */
    int signaled; /* event set, or thread ended */
    int manual;
    unsigned pulses, pulse_tokens, waiters; /* PulseEvent: waiters it may release */
    DWORD data;                             /* SetEventData */
    DWORD intr;                             /* event: the SYSINTR it is bound to (0: none) */
    LONG count, max;                        /* semaphore count; mutex recursion */
    DWORD owner;                            /* mutex owner thread id (0: free) */
    LPTHREAD_START_ROUTINE fn;
    LPVOID arg;
    DWORD exit_code;
    int running;           /* a thread that has not ended */
    char creator[128];     /* the driver call that created the thread ("" outside the host) */
    int priority;          /* thread: CE priority 0..255 (CeSetThreadPriority) */
    DWORD tid;             /* thread: its id */
    DWORD suspend;         /* thread: suspend count (CREATE_SUSPENDED, SuspendThread) */
    int started;           /* thread: counted by the machine clock (not created suspended) */
    struct ce_stack stack; /* thread: its CE stack (base 0: a host stack) */
    struct stack_thread *stack_t; /* ... and its record for the join (stack.c) */
    struct msgq *q;               /* K_MSGQ: the queue this handle reads or writes */
    int reader;                   /* K_MSGQ: the read end */
    struct object *next;
};

extern pthread_mutex_t g_obj;
extern pthread_cond_t g_changed;

/* A new object of kind k with one reference, on the list. Return: NULL when out of memory. */
struct object *new_object(enum kind k);
/* The live object behind h (g_obj held), or NULL. */
struct object *lookup(HANDLE h);
/* The first object of the list (g_obj held; follow ->next). */
struct object *sync_first_object(void);
/* Drop one reference (g_obj held); the record goes at zero. */
void unref(struct object *o);
/* Create (or open, when name exists: *existed = 1, ERROR_ALREADY_EXISTS) an object of kind k.
 * Errors: ERROR_INVALID_PARAMETER (sa not NULL, name over MAX_PATH), ERROR_INVALID_NAME (a
 * backslash), ERROR_NOT_ENOUGH_MEMORY. */
HANDLE sync_create(enum kind k, LPSECURITY_ATTRIBUTES sa, LPCWSTR name, int *existed);

/* msgqueue.c (g_obj held): is this queue handle signalled (read end: not empty; write end: not
 * full)? Its last reference is going. */
int msgq_ready(const struct object *o);
void msgq_handle_gone(struct object *o);

#endif
