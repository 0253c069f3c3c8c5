"""memtrace installs like a Debian tool: `make install` with PREFIX, DESTDIR,
BINDIR and MANDIR, a man page generated from --help (so the two cannot
drift), bash completion, -h, a --version that says what was built and what
the kernel offers, and a build that honours the user's CFLAGS and LDFLAGS."""
import os
import re
import shutil
import subprocess
import unittest

import mt

MAKE = ["make", "--no-print-directory", "-C", mt.ROOT]
# As a user types it: not a sub-make of `make test` (whose WERROR=1 would
# reach these through MAKEFLAGS), and not under CI.
USER_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CI", "WERROR")}


def out(*args, **kw):
    kw.setdefault("env", USER_ENV)
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)
    if p.returncode != 0:
        raise AssertionError("%s: rc=%d\n%s%s" % (" ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def long_options(help_text):
    return sorted(set(re.findall(r"(?m)^ {2,6}(?:-\S, )?(--[a-z][a-z-]*)", help_text)))


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(mt.MEMTRACE):
            raise unittest.SkipTest("build/memtrace is not built")
        cls.dest = mt.tempdir(cls, "mt-install-")
        out(*MAKE, "install", "DESTDIR=" + cls.dest, "PREFIX=/usr")
        cls.bin = os.path.join(cls.dest, "usr/bin/memtrace")
        cls.page = os.path.join(cls.dest, "usr/share/man/man1/memtrace.1")
        cls.completion = os.path.join(cls.dest, "usr/share/bash-completion/completions/memtrace")

    def test_files_are_where_debian_puts_them(self):
        for rel, mode in (("usr/bin/memtrace", 0o755), ("usr/bin/memtrace-report", 0o755),
                          ("usr/share/man/man1/memtrace.1", 0o644),
                          ("usr/share/bash-completion/completions/memtrace", 0o644)):
            st = os.stat(os.path.join(self.dest, rel))
            self.assertEqual(st.st_mode & 0o777, mode, rel)
        # Nothing outside DESTDIR/usr.
        self.assertEqual(os.listdir(self.dest), ["usr"])

    def test_installed_version(self):
        lines = out(self.bin, "--version").stdout.splitlines()
        desc = subprocess.run(["git", "-C", mt.ROOT, "describe", "--tags", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip()
        self.assertRegex(lines[0], r"^memtrace \S")
        if desc:
            # `make install` rebuilt what the checkout's describe changed.
            self.assertEqual(lines[0], "memtrace " + desc)
        fields = dict(l.split(": ", 1) for l in lines[1:])
        lib = out("pkg-config", "--modversion", "libbpf").stdout.strip()
        self.assertEqual(fields["libbpf"], ".".join(lib.split(".")[:2]))
        self.assertEqual(fields["kernel"], os.uname().release)
        self.assertEqual(fields["BTF"], "yes" if os.path.exists("/sys/kernel/btf/vmlinux") else "no")
        major, minor = map(int, os.uname().release.split(".")[:2])
        self.assertEqual(fields["uprobe_multi"], "yes" if (major, minor) >= (6, 6) else "no")
        self.assertIn(fields["ring buffer"].split()[0], ("yes", "no", "unknown"))
        # -V is the same.
        self.assertEqual(out(self.bin, "-V").stdout.splitlines(), lines)

    def test_h_is_help(self):
        h = out(self.bin, "-h").stdout
        self.assertEqual(h, out(self.bin, "--help").stdout)
        self.assertIn("Usage: memtrace", h)

    def test_man_page_renders_every_option_of_help(self):
        if not shutil.which("man"):
            raise AssertionError("man is missing (tools/setup-deps.sh test installs man-db)")
        p = subprocess.run(["man", "--warnings", "-l", self.page], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="0", PAGER="cat"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "", "groff warnings")
        page = re.sub(".\b", "", p.stdout)
        self.assertRegex(page, r"(?m)^MEMTRACE\(1\)")
        opts = long_options(out(self.bin, "--help").stdout)
        self.assertGreater(len(opts), 30, opts)
        for o in opts:
            self.assertRegex(page, r"(?m)^\s+(-\S, )?%s\b" % re.escape(o), o)
        for section in ("SYNOPSIS", "DESCRIPTION", "OPTIONS", "REPORT COMMAND", "DIFF COMMAND", "EXAMPLES"):
            self.assertRegex(page, r"(?m)^%s$" % section)

    def test_bash_completion(self):
        main = "/usr/share/bash-completion/bash_completion"
        if not os.path.exists(main):
            raise AssertionError(main + " is missing (tools/setup-deps.sh test installs bash-completion)")

        def complete(*words):
            script = ('source %s; source %s; PATH=%s:$PATH; COMP_WORDS=(%s); COMP_CWORD=%d; '
                      'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; '
                      '_memtrace memtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; '
                      'printf "%%s\\n" "${COMPREPLY[@]}"' % (main, self.completion, os.path.dirname(self.bin),
                                                            " ".join("'%s'" % w for w in words), len(words) - 1))
            return out("bash", "-c", script).stdout.split()

        self.assertIn("--log-file=", complete("memtrace", "--log"))
        self.assertEqual(complete("memtrace", "--view", ""), ["heap", "faults", "mapped"])
        self.assertEqual(sorted(complete("memtrace", "re")), ["report"])
        self.assertIn(str(os.getpid()), complete("memtrace", "-p", ""))

    def test_uninstall_and_split_dirs(self):
        dest = mt.tempdir(self, "mt-install2-")
        args = ["DESTDIR=" + dest, "PREFIX=/opt/mt", "BINDIR=/opt/mt/sbin", "MANDIR=/opt/mt/man"]
        out(*MAKE, "install", *args)
        for rel in ("opt/mt/sbin/memtrace", "opt/mt/man/man1/memtrace.1",
                    "opt/mt/share/bash-completion/completions/memtrace"):
            self.assertTrue(os.path.exists(os.path.join(dest, rel)), rel)
        out(*MAKE, "uninstall", *args)
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
        self.assertEqual(left, [])


class UserFlags(unittest.TestCase):
    def test_cflags_and_ldflags_from_the_command_line(self):
        # The user's CFLAGS reach every compile and link: --coverage makes the
        # built binary write .gcda files, which it can only do if linked with it.
        tmp = mt.tempdir(self, "mt-flags-")
        build = os.path.join(tmp, "build")
        p = out(*MAKE, "-j2", "V=1", "OUT=" + build, "CFLAGS=-O0 -g --coverage", "LDFLAGS=-Wl,-z,relro",
                build + "/memtrace", timeout=1200)
        compiles = [l for l in p.stdout.splitlines() if " -c user/" in l]
        self.assertGreater(len(compiles), 50)
        for l in compiles:
            self.assertIn("-O0 -g --coverage", l)
            self.assertNotIn("-Werror", l)  # not forced on users
            self.assertNotIn("-O2", l)
        link = [l for l in p.stdout.splitlines() if l.endswith("-o " + build + "/memtrace")]
        self.assertEqual(len(link), 1, p.stdout[-2000:])
        self.assertIn("-Wl,-z,relro", link[0])
        v = out(build + "/memtrace", "--version").stdout
        self.assertRegex(v, r"^memtrace ")
        gcda = [f for d, _, fs in os.walk(build) for f in fs if f.endswith(".gcda")]
        self.assertGreater(len(gcda), 0)

    def test_werror_in_make_test_and_ci(self):
        # -n: the commands make would run, with WERROR=1 and with CI=true.
        for var in ("WERROR=1", "CI=true"):
            p = out(*MAKE, "-n", "-B", "OUT=/nonexistent-mt-out", var, "/nonexistent-mt-out/user/lib/log.o")
            self.assertIn("-Werror", p.stdout, var)
        p = out(*MAKE, "-n", "-B", "OUT=/nonexistent-mt-out", "/nonexistent-mt-out/user/lib/log.o")
        self.assertNotIn("-Werror", p.stdout)


if __name__ == "__main__":
    unittest.main()
