/*
 * msgqueue.h (cevm CE compatibility) — point-to-point message queues (CreateMsgQueue and
 * friends), with CE's structures and flags (spec driver-runtime §1.7).
 *
 * A queue has a read end and a write end; CreateMsgQueue returns one of them (bReadAccess) and a
 * second CreateMsgQueue with the same name, or OpenMsgQueue, gives the other. Handles work with
 * WaitForSingleObject/WaitForMultipleObjects: a read handle is signalled while the queue holds a
 * message, a write handle while it has room. CloseMsgQueue (or CloseHandle) closes one; the queue
 * goes with its last handle.
 */
#ifndef CEVM_CE_MSGQUEUE_H
#define CEVM_CE_MSGQUEUE_H

#include "winbase.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MSGQUEUE_NOPRECOMMIT  0x00000001
#define MSGQUEUE_ALLOW_BROKEN 0x00000002
#define MSGQUEUE_MSGALERT     0x00000001

typedef struct MSGQUEUEOPTIONS_OS {
    DWORD dwSize;
    DWORD dwFlags;
    DWORD dwMaxMessages; /* 0: no limit (implies MSGQUEUE_NOPRECOMMIT) */
    DWORD cbMaxMessage;  /* > 0 */
    BOOL bReadAccess;
} MSGQUEUEOPTIONS, *LPMSGQUEUEOPTIONS, *PMSGQUEUEOPTIONS;

typedef struct MSGQUEUEINFO {
    DWORD dwSize;
    DWORD dwFlags;
    DWORD dwMaxMessages;
    DWORD cbMaxMessage;
    DWORD dwCurrentMessages;
    DWORD dwMaxQueueMessages;
    WORD wNumReaders;
    WORD wNumWriters;
} MSGQUEUEINFO, *LPMSGQUEUEINFO, *PMSGQUEUEINFO;

/* Create (or, when name exists, open with 183: only dwSize, bReadAccess and cbMaxMessage are
 * used) a queue end. Return: the handle, or NULL with 87 (no options, dwSize wrong,
 * cbMaxMessage 0, unknown flags, name too long) or 8. */
CEVM_CE_API HANDLE WINAPI CreateMsgQueue(LPCWSTR lpszName, LPMSGQUEUEOPTIONS lpOptions);
/* Another end of queue hMsgQ (hSrcProc is the process that owns it: any value here). */
CEVM_CE_API HANDLE WINAPI OpenMsgQueue(HANDLE hSrcProc, HANDLE hMsgQ, LPMSGQUEUEOPTIONS lpOptions);
/* Read one message. Errors: 87 (NULL buffer, zero size, NULL pcbRead, a write handle), 122 (the
 * message is larger than cbBufferSize: cbBufferSize bytes are copied and the message is
 * consumed), 233 (no writer and no MSGQUEUE_ALLOW_BROKEN), 1460 (nothing arrived in time). */
CEVM_CE_API BOOL WINAPI ReadMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbBufferSize,
                                     LPDWORD lpNumberOfBytesRead, DWORD dwTimeout, DWORD *pdwFlags);
/* Write one message (dwFlags MSGQUEUE_MSGALERT: it goes first, one alert at a time). Errors: 87
 * (NULL buffer, zero size, a read handle), 122 (cbDataSize > cbMaxMessage), 233 (no reader and
 * no MSGQUEUE_ALLOW_BROKEN), 1460 (still full after dwTimeout), 14 (out of memory). */
CEVM_CE_API BOOL WINAPI WriteMsgQueue(HANDLE hMsgQ, LPVOID lpBuffer, DWORD cbDataSize,
                                      DWORD dwTimeout, DWORD dwFlags);
CEVM_CE_API BOOL WINAPI GetMsgQueueInfo(HANDLE hMsgQ, LPMSGQUEUEINFO lpInfo);
CEVM_CE_API BOOL WINAPI CloseMsgQueue(HANDLE hMsgQ);

#ifdef __cplusplus
}
#endif

#endif
