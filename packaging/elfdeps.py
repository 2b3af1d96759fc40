"""Which shared libraries a Linux bundle needs: a small ELF DT_NEEDED reader.

Used in two places:
- packaging/voicepanel.spec drops libraries only the Qt plugins we leave out needed
  (PyInstaller resolves the dependencies of every plugin before the spec can filter them),
  and the libraries that must come from the user's system (ALSA, X11/xcb, fontconfig...);
- packaging/build-linux.sh turns the libraries the bundle needs from the system into the
  .deb's Depends line (`python packaging/elfdeps.py depends DIR`).

Pure Python (no readelf/objdump needed), 64-bit little-endian ELF only (x86_64, aarch64).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5

# Libraries taken from the user's computer, never from the bundle, on Linux. ALSA first:
# its plugins (the PulseAudio/PipeWire bridge) and configuration live where the user's
# distribution put them, and only the system's libasound knows where. The rest is the
# desktop's own plumbing, present on every desktop and tied to its config files and
# drivers (fonts, X11/xcb, D-Bus, GLib, the C++ runtime the GL drivers were built with).
SYSTEM_LIB_PREFIXES = (
    "libasound.so",
    "libfontconfig.so",
    "libfreetype.so",
    "libX11.so",
    "libX11-xcb.so",
    "libXau.so",
    "libXdmcp.so",
    "libXext.so",
    "libXrender.so",
    "libxcb",
    "libxkbcommon",
    "libdbus-1.so",
    "libsystemd.so",
    "libglib-2.0.so",
    "libgobject-2.0.so",
    "libgio-2.0.so",
    "libgmodule-2.0.so",
    "libgthread-2.0.so",
    "libstdc++.so",
    "libgcc_s.so",
    "libGL",
    "libEGL",
    "libOpenGL",
)


def needed(path: str | os.PathLike[str]) -> list[str]:
    """The DT_NEEDED sonames of an ELF file; [] for anything that is not a 64-bit LE ELF."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []
    (e_phoff,) = struct.unpack_from("<Q", data, 0x20)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(e_phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, e_phoff + i * e_phentsize
        )
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []
    strtab_vaddr, offsets = None, []
    for off in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, off)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            offsets.append(value)
        elif tag == DT_STRTAB:
            strtab_vaddr = value
    if strtab_vaddr is None:
        return []
    strtab = next(
        (off + strtab_vaddr - va for va, off, size in loads if va <= strtab_vaddr < va + size),
        None,
    )
    if strtab is None:
        return []
    names = []
    for o in offsets:
        end = data.index(b"\0", strtab + o)
        names.append(data[strtab + o : end].decode())
    return names


def is_system_lib(name: str) -> bool:
    return name.startswith(SYSTEM_LIB_PREFIXES)


def prune(binaries: list, keep_roots: Iterable[str] = ("libportaudio.so", "libpython")) -> list:
    """Keep a PyInstaller TOC's binaries that something kept still needs.

    Entries are (dest, src, typecode). Roots are the Python extension modules, the Qt
    plugins that survived the spec's filter, whatever a hook put inside a package folder
    (e.g. livekit's ctypes-loaded liblivekit_ffi.so), except Qt's own libraries, and the
    libraries loaded by name at run time (keep_roots: PortAudio through ctypes, libpython
    by the bootloader). Top-level libraries and Qt libraries that no root reaches through
    DT_NEEDED are dropped, and so is every system library.
    """
    by_name: dict[str, list[tuple]] = {}
    for entry in binaries:
        by_name.setdefault(Path(entry[0]).name, []).append(tuple(entry))

    def is_root(dest: str) -> bool:
        name = Path(dest).name
        dest = dest.replace("\\", "/")
        return (
            "/plugins/" in dest
            or ("/" in dest and "/Qt/lib/" not in dest)
            or ".cpython-" in name
            or name.endswith(".abi3.so")
            or name.startswith(tuple(keep_roots))
        )

    queue = [tuple(entry) for entry in binaries if is_root(entry[0])]
    kept: set[str] = set()
    while queue:
        dest, src, kind = queue.pop()
        if dest in kept or is_system_lib(Path(dest).name):
            continue
        kept.add(dest)
        # A library may be there twice: in its package folder and as a top-level symlink
        # that libraries with RPATH $ORIGIN at the top level find it through. Keep both.
        for lib in needed(src) + [Path(dest).name]:
            queue.extend(e for e in by_name.get(lib, ()) if e[0] not in kept)
    return [entry for entry in binaries if entry[0] in kept]


def system_needs(bundle: Path) -> tuple[set[str], set[str]]:
    """(sonames the bundle needs from the system, sonames no file in the bundle provides)."""
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    provided = {p.name for p in bundle.rglob("*")}
    wanted: set[str] = set()
    for path in elves:
        wanted.update(lib for lib in needed(path) if lib not in provided)
    return wanted, wanted - provided


def glibc_floor(bundle: Path) -> tuple[int, int]:
    """The newest GLIBC_2.x symbol version any file in the bundle asks for."""
    pattern = re.compile(rb"GLIBC_2\.(\d+)")
    newest = 0
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink() and needed(path):
            newest = max([newest, *(int(m) for m in pattern.findall(path.read_bytes()))])
    return (2, newest)


def debian_depends(bundle: Path) -> tuple[list[str], list[str]]:
    """(Debian packages providing the system libraries the bundle needs, sonames not found)."""
    sonames, _ = system_needs(bundle)
    packages: set[str] = set()
    missing: list[str] = []
    ldconfig = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    paths = {}
    for line in ldconfig.splitlines():
        left, sep, right = line.strip().partition(" => ")
        if sep and "x86-64" in left or sep and "AArch64" in left:
            paths.setdefault(left.split(" ", 1)[0], right)
    for soname in sorted(sonames):
        path = paths.get(soname)
        if not path:
            missing.append(soname)
            continue
        owner = subprocess.run(
            ["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True
        )
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode == 0:
            packages.add(owner.stdout.split(":", 1)[0].strip())
        else:
            missing.append(soname)
    major, minor = glibc_floor(bundle)
    return [f"libc6 (>= {major}.{minor})" if p == "libc6" else p for p in sorted(packages)], missing


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "depends":
        pkgs, not_found = debian_depends(Path(sys.argv[2]))
        print(", ".join(pkgs))
        for soname in not_found:
            print(
                f"not found on this system (optional plugin dependency?): {soname}", file=sys.stderr
            )
    elif len(sys.argv) == 3 and sys.argv[1] == "needed":
        print("\n".join(needed(sys.argv[2])))
    else:
        print("usage: elfdeps.py depends BUNDLE_DIR | needed FILE", file=sys.stderr)
        sys.exit(2)
