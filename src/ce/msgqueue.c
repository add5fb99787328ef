/*
 * msgqueue.c — CE message queues (include/cevm/ce/msgqueue.h) on the kernel-object list of
 * sync.c.
 *
 * A queue (struct msgq) holds its messages in a singly linked FIFO and counts its read and write
 * handles; each handle is a K_MSGQ object pointing at it. Readers and writers block on sync.c's
 * condition variable like every other wait, so a queue handle can be waited on with
 * WaitForMultipleObjects next to events. An alert message goes to the front while no other
 * alert is queued. The queue is freed with its last handle.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ce/clock.h"
#include "ce/objects.h"
#include "msgqueue.h"

struct msg {
    struct msg *next;
    DWORD len, flags;
    unsigned char data[];
};

struct msgq {
    DWORD flags, max_messages, max_size;
    DWORD count;
    DWORD peak; /* the most messages it has held (MSGQUEUEINFO.dwMaxQueueMessages) */
    int alert_queued;
    unsigned readers, writers;
    WCHAR *name;
    struct msg *head, *tail;
};

int msgq_ready(const struct object *o)
{
    const struct msgq *q = o->q;
    if (o->reader)
        return q->count > 0 || (!q->writers && !(q->flags & MSGQUEUE_ALLOW_BROKEN));
    return !q->max_messages || q->count < q->max_messages ||
           (!q->readers && !(q->flags & MSGQUEUE_ALLOW_BROKEN));
}

void msgq_handle_gone(struct object *o)
{
    struct msgq *q = o->q;
    if (!q)
        return;
    if (o->reader)
        q->readers--;
    else
        q->writers--;
    o->q = NULL;
    clock_changed(); /* a peer waiting for us learns we left */
    if (q->readers || q->writers)
        return;
    while (q->head) {
        struct msg *m = q->head;
        q->head = m->next;
        free(m);
    }
    free(q->name);
    free(q);
}

/* A live end of the queue named name, with a reference held so the queue stays while the
 * caller opens its own end (g_obj held); NULL if there is none. */
static struct object *find_queue_end(const WCHAR *name)
{
    for (struct object *o = sync_first_object(); o; o = o->next)
        if (o->kind == K_MSGQ && o->refs > 0 && o->q && o->q->name &&
            !cevm_wcscmp(o->q->name, name)) {
            o->refs++;
            return o;
        }
    return NULL;
}

static struct object *new_end(struct msgq *q, int reader)
{
    struct object *o = new_object(K_MSGQ);
    if (!o)
        return NULL;
    pthread_mutex_lock(&g_obj);
    o->q = q;
    o->reader = reader;
    if (reader)
        q->readers++;
    else
        q->writers++;
    pthread_mutex_unlock(&g_obj);
    return o;
}

static HANDLE impl_CreateMsgQueue(LPCWSTR lpszName, LPMSGQUEUEOPTIONS lpOptions)
{
    if (!lpOptions || lpOptions->dwSize != sizeof(MSGQUEUEOPTIONS) || !lpOptions->cbMaxMessage ||
        (lpOptions->dwFlags & ~(DWORD)(MSGQUEUE_NOPRECOMMIT | MSGQUEUE_ALLOW_BROKEN)) ||
        (lpszName && cevm_wcsnlen(lpszName, MAX_PATH + 1) > MAX_PATH)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    /* The name is copied before the lock: the caller's memory is never read with it held. */
    WCHAR *name = lpszName ? cevm_wcsdup(lpszName) : NULL;
    if (lpszName && !name) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (name) {
        pthread_mutex_lock(&g_obj);
        struct object *peer = find_queue_end(name);
        pthread_mutex_unlock(&g_obj);
        if (peer) {
            struct object *o = NULL;
            DWORD err = lpOptions->cbMaxMessage != peer->q->max_size ? ERROR_INVALID_PARAMETER
                        : (o = new_end(peer->q, lpOptions->bReadAccess != 0))
                            ? ERROR_ALREADY_EXISTS
                            : ERROR_NOT_ENOUGH_MEMORY;
            pthread_mutex_lock(&g_obj);
            unref(peer);
            pthread_mutex_unlock(&g_obj);
            free(name);
            SetLastError(err);
            return o;
        }
    }
    struct msgq *q = calloc(1, sizeof *q);
    if (!q) {
        free(name);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    q->name = name;
    q->flags = lpOptions->dwFlags | (lpOptions->dwMaxMessages ? 0 : MSGQUEUE_NOPRECOMMIT);
    q->max_messages = lpOptions->dwMaxMessages;
    q->max_size = lpOptions->cbMaxMessage;
    struct object *o = new_end(q, lpOptions->bReadAccess != 0);
    if (!o) {
        free(q->name);
        free(q);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    SetLastError(0);
    return o;
}

static HANDLE impl_OpenMsgQueue(HANDLE hSrcProc, HANDLE hMsgQ, LPMSGQUEUEOPTIONS lpOptions)
{
    (void)hSrcProc;
    if (!lpOptions || lpOptions->dwSize != sizeof(MSGQUEUEOPTIONS)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    pthread_mutex_lock(&g_obj);
    struct object *src = lookup(hMsgQ);
    struct msgq *q = src && src->kind == K_MSGQ ? src->q : NULL;
    if (q)
        src->refs++; /* keep the queue while the new end is made */
    pthread_mutex_unlock(&g_obj);
    if (!q) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    struct object *o = new_end(q, lpOptions->bReadAccess != 0);
    pthread_mutex_lock(&g_obj);
    unref(src);
    pthread_mutex_unlock(&g_obj);
    if (!o)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return o;
}

/* Sleep until a change or the deadline (g_obj held). Return: 1 when the deadline has passed
 * (at once for a timeout of 0). */
static int wait_for(struct clock_wait *w, DWORD ms)
{
    return ms == 0 || clock_wait_sleep(w);
}

static BOOL impl_ReadMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbBufferSize,
                              LPDWORD lpNumberOfBytesRead, DWORD dwTimeout, DWORD *pdwFlags)
{
    if (!lpBuffer || !cbBufferSize || !lpNumberOfBytesRead) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct clock_wait until;
    DWORD err = 0;
    struct msg *m = NULL;
    pthread_mutex_lock(&g_obj);
    clock_wait_begin(&until, dwTimeout);
    struct object *o = lookup(hMsgQ);
    if (!o || o->kind != K_MSGQ || !o->q)
        err = ERROR_INVALID_HANDLE;
    else if (!o->reader)
        err = ERROR_INVALID_PARAMETER;
    else {
        o->refs++;
        struct msgq *q = o->q;
        for (;;) {
            if (q->head) {
                m = q->head;
                q->head = m->next;
                if (!q->head)
                    q->tail = NULL;
                q->count--;
                if (m->flags & MSGQUEUE_MSGALERT)
                    q->alert_queued = 0;
                clock_changed(); /* room for a writer */
                break;
            }
            if (!q->writers && !(q->flags & MSGQUEUE_ALLOW_BROKEN)) {
                err = ERROR_PIPE_NOT_CONNECTED;
                break;
            }
            if (wait_for(&until, dwTimeout) && !q->head) {
                err = ERROR_TIMEOUT;
                break;
            }
        }
        unref(o);
    }
    pthread_mutex_unlock(&g_obj);
    if (err) {
        SetLastError(err);
        return FALSE;
    }
    DWORD n = m->len < cbBufferSize ? m->len : cbBufferSize;
    memcpy(lpBuffer, m->data, n);
    *lpNumberOfBytesRead = n;
    if (pdwFlags)
        *pdwFlags = m->flags;
    int short_buffer = m->len > cbBufferSize;
    free(m);
    if (short_buffer) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    return TRUE;
}

static BOOL impl_WriteMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbDataSize, DWORD dwTimeout,
                               DWORD dwFlags)
{
    if (!lpBuffer || !cbDataSize) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct msg *m = malloc(sizeof *m + cbDataSize);
    if (!m) {
        SetLastError(ERROR_OUTOFMEMORY);
        return FALSE;
    }
    memcpy(m->data, lpBuffer, cbDataSize);
    m->len = cbDataSize;
    m->flags = dwFlags & MSGQUEUE_MSGALERT;
    m->next = NULL;
    struct clock_wait until;
    DWORD err = 0;
    pthread_mutex_lock(&g_obj);
    clock_wait_begin(&until, dwTimeout);
    struct object *o = lookup(hMsgQ);
    if (!o || o->kind != K_MSGQ || !o->q)
        err = ERROR_INVALID_HANDLE;
    else if (o->reader)
        err = ERROR_INVALID_PARAMETER;
    else if (cbDataSize > o->q->max_size)
        err = ERROR_INSUFFICIENT_BUFFER;
    else {
        o->refs++;
        struct msgq *q = o->q;
        for (;;) {
            if (!q->readers && !(q->flags & MSGQUEUE_ALLOW_BROKEN)) {
                err = ERROR_PIPE_NOT_CONNECTED;
                break;
            }
            if (!q->max_messages || q->count < q->max_messages) {
                if (m->flags && !q->alert_queued) {
                    q->alert_queued = 1; /* the one outstanding alert jumps the queue */
                    m->next = q->head;
                    q->head = m;
                    if (!q->tail)
                        q->tail = m;
                } else {
                    m->flags = m->flags && q->alert_queued ? 0 : m->flags;
                    if (q->tail)
                        q->tail->next = m;
                    else
                        q->head = m;
                    q->tail = m;
                }
                if (++q->count > q->peak)
                    q->peak = q->count;
                m = NULL;
                clock_changed();
                break;
            }
            if (wait_for(&until, dwTimeout) && q->count >= q->max_messages) {
                err = ERROR_TIMEOUT;
                break;
            }
        }
        unref(o);
    }
    pthread_mutex_unlock(&g_obj);
    free(m);
    return ce_bool(err);
}

static BOOL impl_GetMsgQueueInfo(HANDLE hMsgQ, LPMSGQUEUEINFO lpInfo)
{
    if (!lpInfo || lpInfo->dwSize != sizeof(MSGQUEUEINFO)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    MSGQUEUEINFO info = {sizeof info, 0, 0, 0, 0, 0, 0, 0};
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hMsgQ);
    int ok = o && o->kind == K_MSGQ && o->q;
    if (ok) {
        struct msgq *q = o->q;
        info.dwFlags = q->flags;
        info.dwMaxMessages = q->max_messages;
        info.cbMaxMessage = q->max_size;
        info.dwCurrentMessages = q->count;
        info.dwMaxQueueMessages = q->peak;
        info.wNumReaders = (WORD)q->readers;
        info.wNumWriters = (WORD)q->writers;
    }
    pthread_mutex_unlock(&g_obj);
    if (ok)
        *lpInfo = info; /* outside the lock, as every write to caller memory */
    return ce_bool(ok ? 0 : ERROR_INVALID_HANDLE);
}

static BOOL impl_CloseMsgQueue(HANDLE hMsgQ)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hMsgQ);
    int ok = o && o->kind == K_MSGQ;
    if (ok)
        unref(o);
    pthread_mutex_unlock(&g_obj);
    return ce_bool(ok ? 0 : ERROR_INVALID_HANDLE);
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HANDLE WINAPI CreateMsgQueue(LPCWSTR lpszName, LPMSGQUEUEOPTIONS lpOptions)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_CreateMsgQueue(lpszName, lpOptions);
    if (t0)
        ce_trace_done(t0, "CreateMsgQueue", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpszName %s, lpOptions %s", ce_trace_wstr(lpszName),
                      ce_trace_ptr(lpOptions));
    return r;
}

HANDLE WINAPI OpenMsgQueue(HANDLE hSrcProc, HANDLE hMsgQ, LPMSGQUEUEOPTIONS lpOptions)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_OpenMsgQueue(hSrcProc, hMsgQ, lpOptions);
    if (t0)
        ce_trace_done(t0, "OpenMsgQueue", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "hSrcProc %s, hMsgQ %s, lpOptions %s", ce_trace_handle(hSrcProc),
                      ce_trace_handle(hMsgQ), ce_trace_ptr(lpOptions));
    return r;
}

BOOL WINAPI ReadMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbBufferSize,
                         LPDWORD lpNumberOfBytesRead, DWORD dwTimeout, DWORD *pdwFlags)
{
    uint64_t t0 = ce_trace_start();
    BOOL r =
        impl_ReadMsgQueue(hMsgQ, lpBuffer, cbBufferSize, lpNumberOfBytesRead, dwTimeout, pdwFlags);
    if (t0)
        ce_trace_done(t0, "ReadMsgQueue", TR_BOOL, (uint64_t)r,
                      "hMsgQ %s, lpBuffer %s, cbBufferSize 0x%X, lpNumberOfBytesRead %s, dwTimeout "
                      "0x%X, pdwFlags %s",
                      ce_trace_handle(hMsgQ), ce_trace_ptr(lpBuffer), (unsigned)cbBufferSize,
                      ce_trace_ptr(lpNumberOfBytesRead), (unsigned)dwTimeout,
                      ce_trace_ptr(pdwFlags));
    return r;
}

BOOL WINAPI WriteMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbDataSize, DWORD dwTimeout,
                          DWORD dwFlags)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_WriteMsgQueue(hMsgQ, lpBuffer, cbDataSize, dwTimeout, dwFlags);
    if (t0)
        ce_trace_done(t0, "WriteMsgQueue", TR_BOOL, (uint64_t)r,
                      "hMsgQ %s, lpBuffer %s, cbDataSize 0x%X, dwTimeout 0x%X, dwFlags 0x%X",
                      ce_trace_handle(hMsgQ), ce_trace_ptr(lpBuffer), (unsigned)cbDataSize,
                      (unsigned)dwTimeout, (unsigned)dwFlags);
    return r;
}

BOOL WINAPI GetMsgQueueInfo(HANDLE hMsgQ, LPMSGQUEUEINFO lpInfo)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_GetMsgQueueInfo(hMsgQ, lpInfo);
    if (t0)
        ce_trace_done(t0, "GetMsgQueueInfo", TR_BOOL, (uint64_t)r, "hMsgQ %s, lpInfo %s",
                      ce_trace_handle(hMsgQ), ce_trace_ptr(lpInfo));
    return r;
}

BOOL WINAPI CloseMsgQueue(HANDLE hMsgQ)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_CloseMsgQueue(hMsgQ);
    if (t0)
        ce_trace_done(t0, "CloseMsgQueue", TR_BOOL, (uint64_t)r, "hMsgQ %s",
                      ce_trace_handle(hMsgQ));
    return r;
}
