import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_add_key, SYS_keyctl = 248, 250
KEYCTL_JOIN_SESSION_KEYRING = 1
KEY_SPEC_SESSION_KEYRING = -3
def join(name):
    r = libc.syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ctypes.c_char_p(name))
    return r, ctypes.get_errno()
def add(desc, payload):
    r = libc.syscall(SYS_add_key, b"user", desc, payload, len(payload), KEY_SPEC_SESSION_KEYRING)
    return r, ctypes.get_errno()
print("uid", os.getuid(), "join", join(b"forewarn-lab"))
n = int(sys.argv[1]); size = int(sys.argv[2])
err = None
for i in range(n):
    r, e = add(b"k%d" % i, b"x" * size)
    if r < 0:
        err = (i, e, os.strerror(e)); break
print("added until", err)
print(open("/proc/key-users").read(), end="")
