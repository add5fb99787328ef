/*
 * pnp.h (cevm CE compatibility) — device interface notifications: the DEVDETAIL message that
 * RequestDeviceNotifications delivers through a message queue when an interface appears or
 * goes (AdvertiseInterface), and the size limit of its name.
 */
#ifndef CEVM_CE_PNP_H
#define CEVM_CE_PNP_H

#include "windef.h"
#include "winnt.h"

#define MAX_DEVCLASS_NAMELEN 64

typedef struct _DEVDETAIL {
    GUID guidDevClass;
    DWORD dwReserved;
    BOOL fAttached;
    int cbName;      /* bytes of szName, without the terminator */
    TCHAR szName[1]; /* the interface name, e.g. L"COM1:" */
} DEVDETAIL, *PDEVDETAIL;

#endif
