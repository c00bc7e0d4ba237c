/* Wine 8 has no bcryptprimitives.dll, whose ProcessPrng Rust's standard
 * library imports for random numbers (HashMap seeds). This stand-in, built
 * with mingw-w64 and put on Wine's PATH by `cargo xtask test`, answers with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Real Windows
 * never sees it. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
