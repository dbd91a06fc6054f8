"""test_documentos.py - the documents agree with the programs and the tree.

Checks what a test can check of README.md, docs/*.md and the man pages:

- every long option that a program's --help defines has an entry under
  OPCIONES in its man page, every long option --help mentions (a command's
  --motivo, say) appears in the man page, and every option the man page
  describes is in --help; the README's list of server options is complete;
- every exit code a program's --help lists is in its man page and in the
  exit-code table of docs/operacion.md, and neither lists a code that --help
  does not;
- every relative link and every repository path (client/..., docs/...,
  scripts/..., and so on) cited in README.md and docs/*.md exists;
- no tracked file cites the shared folder outside the repository, the
  machine's work folder, or the design notes that lived there;
- docs/arquitectura.md stays one page: at most 600 words, counted as
  `wc -w` counts them (runs of non-blank characters), with the figure's
  fenced code blocks excluded.

The programs are the ones just built (INVENTARIO_SERVER, INVENTARIO_CLIENT,
INVENTARIO_STRESS, set by tests/CMakeLists.txt).  Each failure names the
document, the program and the missing item, so that whoever adds an option
or a code knows what to write where.

Run by hand against another tree with INVENTARIO_SOURCE_DIR=DIR.
"""
import glob
import os
import re
import subprocess
import unittest

TOP = os.environ.get("INVENTARIO_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# program -> (environment variable with the built binary, its man page)
PROGRAMS = {
    "inventario-server": ("INVENTARIO_SERVER", "man/inventario-server.8"),
    "inventario-client": ("INVENTARIO_CLIENT", "client/inventario-client.1"),
    "inventario-stress": ("INVENTARIO_STRESS", "man/inventario-stress.1"),
}

# The docs with an exit-code table per program (a paragraph that starts with
# the program's name in backquotes, then a "| code | meaning |" table),
# under this heading.
EXIT_DOC = "docs/operacion.md"
EXIT_HEADING = "## Códigos de salida"

# Written in two pieces so that this file does not cite them itself.
FORBIDDEN = ["../" + "shared", "/" + "work/"]
OUTSIDE_DOCS = ["PROTOCOL" + ".md", "DESIGN" + ".md", "STYLE" + ".md"]

# A long option: "--" and a lower-case word, not followed by more of it.
LONG_OPT = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?![\w-])")


def report(test, problems):
    """Fails the test with one line per problem, if there is any."""
    if problems:
        test.fail("%d problem(s):\n  " % len(problems) + "\n  ".join(problems))


def read(rel):
    with open(os.path.join(TOP, rel), encoding="utf-8") as f:
        return f.read()


def help_text(program):
    var, _ = PROGRAMS[program]
    exe = os.environ.get(var)
    if not exe:
        raise unittest.SkipTest("%s is not set (run through ctest)" % var)
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("%s --help exited with %d: %s"
                             % (program, p.returncode, p.stderr))
    return p.stdout


def help_defined_options(text):
    """Long options that --help defines: those at the start of an option
    line ("  -d, --db=RUTA   ..." or "      --port=N   ...")."""
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^\s{1,8}(?:-\w,\s+)?--([a-z][a-z0-9-]*)", line)
        if m:
            opts.add(m.group(1))
    return opts


def help_exit_codes(text):
    """The codes under "Estado de salida:" in --help, as {code: first line}."""
    codes = {}
    inside = False
    for line in text.splitlines():
        if re.match(r"^Estado de salida:\s*$", line):
            inside = True
            continue
        if not inside:
            continue
        if not line.strip():
            break
        m = re.match(r"^\s+(\d+)\s+(.*)$", line)
        if m:
            codes[int(m.group(1))] = m.group(2).strip()
        elif not line.startswith(" "):
            break
    return codes


def man_plain(src):
    """A man page's source with roff escapes for dashes and fonts undone."""
    s = src.replace("\\-", "-").replace("\\(hy", "-").replace("\\(em", "-")
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", s)
    s = s.replace("\\%", "").replace("\\&", "").replace("\\e", "\\")
    return s


def man_sections(plain):
    """{section title: lines} of a man page (plain text from man_plain)."""
    sections, title = {}, None
    for line in plain.splitlines():
        m = re.match(r'^\.SH\s+"?(.*?)"?\s*$', line)
        if m:
            title = m.group(1).strip()
            sections[title] = []
        elif title is not None:
            sections[title].append(line)
    return sections


def man_described_options(sections):
    """Long options that the man page's OPCIONES section describes in a tag
    line (the line after .TP)."""
    opts = set()
    for title, lines in sections.items():
        if not title.startswith("OPCIONES"):
            continue
        for i, line in enumerate(lines):
            if line.strip() == ".TP" and i + 1 < len(lines):
                opts.update(LONG_OPT.findall(lines[i + 1]))
    return opts


def man_exit_codes(sections):
    codes = set()
    for title, lines in sections.items():
        if title != "ESTADO DE SALIDA":
            continue
        for i, line in enumerate(lines):
            m = re.match(r"^\.(?:IP|TP)\s+\"?(\d+)\"?", line)
            if m:
                codes.add(int(m.group(1)))
            elif line.strip() == ".TP" and i + 1 < len(lines):
                m = re.match(r"^(?:\.BR?\s+)?\"?(\d+)\"?\s*$", lines[i + 1])
                if m:
                    codes.add(int(m.group(1)))
    return codes


def doc_exit_tables(text):
    """{program: set of codes} from the exit-code section of a doc."""
    tables = {}
    start = text.find(EXIT_HEADING)
    if start < 0:
        return tables
    body = text[start + len(EXIT_HEADING):]
    nxt = re.search(r"^## ", body, re.M)
    if nxt:
        body = body[:nxt.start()]
    current = None
    for line in body.splitlines():
        m = re.match(r"^`([\w.-]+)`", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"^\|\s*(\d+)\s*\|", line)
        if m and current in PROGRAMS:
            tables.setdefault(current, set()).add(int(m.group(1)))
    return tables


class Programas(unittest.TestCase):
    """--help against the man pages and docs/operacion.md."""

    def test_opciones_en_el_manual(self):
        problems = []
        for program, (_, man) in sorted(PROGRAMS.items()):
            text = help_text(program)
            helped = set(LONG_OPT.findall(text))
            plain = man_plain(read(man))
            in_man = set(LONG_OPT.findall(plain))
            described = man_described_options(man_sections(plain))
            for opt in sorted(help_defined_options(text) - described):
                problems.append("%s: --%s, an option of `%s --help`, has no entry "
                                "(.TP) under OPCIONES" % (man, opt, program))
            for opt in sorted(helped - in_man):
                problems.append("%s: --%s is in `%s --help` but not in the man page"
                                % (man, opt, program))
            for opt in sorted(described - helped):
                problems.append("%s: describes --%s, which `%s --help` does not "
                                "mention (removed or renamed?)" % (man, opt, program))
        report(self, problems)

    def test_lista_de_opciones_del_readme(self):
        # The README lists every server option in one paragraph.
        text = read("README.md")
        m = re.search(r"^Opciones del servidor.*?(?=\n\n)", text, re.M | re.S)
        if not m:
            self.fail("README.md: no paragraph starting \"Opciones del servidor\"")
        listed = set(LONG_OPT.findall(m.group(0)))
        defined = help_defined_options(help_text("inventario-server"))
        problems = ["README.md: --%s of `inventario-server --help` is missing from "
                    "\"Opciones del servidor\"" % o for o in sorted(defined - listed)]
        problems += ["README.md: \"Opciones del servidor\" lists --%s, which "
                     "`inventario-server --help` does not" % o for o in sorted(listed - defined)]
        report(self, problems)

    def test_codigos_de_salida(self):
        problems = []
        tables = doc_exit_tables(read(EXIT_DOC))
        for program, (_, man) in sorted(PROGRAMS.items()):
            helped = help_exit_codes(help_text(program))
            if not helped:
                problems.append("`%s --help` lists no exit codes under "
                                "\"Estado de salida:\"" % program)
                continue
            in_man = man_exit_codes(man_sections(man_plain(read(man))))
            for code in sorted(set(helped) - in_man):
                problems.append("%s: exit code %d (%s) of `%s --help` is missing "
                                "from ESTADO DE SALIDA" % (man, code, helped[code], program))
            for code in sorted(in_man - set(helped)):
                problems.append("%s: ESTADO DE SALIDA lists exit code %d, which "
                                "`%s --help` does not" % (man, code, program))
            if program not in tables:
                problems.append("%s: no exit-code table for %s under \"%s\""
                                % (EXIT_DOC, program, EXIT_HEADING))
                continue
            for code in sorted(set(helped) - tables[program]):
                problems.append("%s: exit code %d (%s) of `%s --help` is missing "
                                "from its table" % (EXIT_DOC, code, helped[code], program))
            for code in sorted(tables[program] - set(helped)):
                problems.append("%s: the %s table lists exit code %d, which "
                                "`%s --help` does not" % (EXIT_DOC, program, code, program))
        report(self, problems)


def tracked_files():
    """The repository's files: git's list where there is one, else a walk
    that leaves out build folders."""
    try:
        p = subprocess.run(["git", "-C", TOP, "ls-files", "-z"],
                           capture_output=True, timeout=30)
        if p.returncode == 0 and p.stdout:
            return [f for f in p.stdout.decode().split("\0") if f]
    except OSError:
        pass
    out = []
    for root, dirs, files in os.walk(TOP):
        dirs[:] = [d for d in dirs if not d.startswith((".git", "build"))]
        for f in files:
            out.append(os.path.relpath(os.path.join(root, f), TOP))
    return out


def documents():
    return ["README.md"] + sorted(os.path.relpath(p, TOP)
                                  for p in glob.glob(os.path.join(TOP, "docs", "*.md")))


class Documentos(unittest.TestCase):
    """Links and paths in the documents, citations in every file."""

    @classmethod
    def setUpClass(cls):
        cls.files = tracked_files()
        tops = {f.split("/", 1)[0] for f in cls.files if "/" in f}
        # A repository path: one of the repository's top folders, a slash and
        # more, not inside a longer path or word (/usr/share/man/... is not).
        cls.repo_path = re.compile(r"(?<![\w./~$-])((?:%s)/[\w./*-]*)"
                                   % "|".join(re.escape(t) for t in sorted(tops)))

    def test_arquitectura_una_pagina(self):
        # The figure (fenced blocks) does not count: box-drawing is not prose.
        text = re.sub(r"(?ms)^```.*?^```[ \t]*$", "", read("docs/arquitectura.md"))
        words = len(text.split())
        self.assertLessEqual(words, 600,
                             "docs/arquitectura.md: %d words without the figure, "
                             "at most 600 (one page); move detail to the other docs"
                             % words)

    def test_enlaces_relativos(self):
        problems = []
        for doc in documents():
            here = os.path.dirname(doc)
            for n, line in enumerate(read(doc).splitlines(), 1):
                for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                        continue
                    path = target.split("#", 1)[0]
                    if not os.path.exists(os.path.normpath(os.path.join(TOP, here, path))):
                        problems.append("%s:%d: link to %s, which does not exist"
                                        % (doc, n, target))
        report(self, problems)

    def test_rutas_del_repositorio(self):
        problems = []
        for doc in documents():
            for n, line in enumerate(read(doc).splitlines(), 1):
                for path in self.repo_path.findall(line):
                    path = path.rstrip(".,:;")
                    full = os.path.join(TOP, path)
                    ok = glob.glob(full) if "*" in path else os.path.exists(full)
                    if not ok:
                        problems.append("%s:%d: cites %s, which is not in the repository"
                                        % (doc, n, path))
        report(self, problems)

    def test_nada_cita_fuera_del_repositorio(self):
        problems = []
        missing = [d for d in OUTSIDE_DOCS
                   if not any(os.path.basename(f) == d for f in self.files)]
        for rel in self.files:
            try:
                with open(os.path.join(TOP, rel), encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                for bad in FORBIDDEN + missing:
                    if bad in line:
                        problems.append("%s:%d: cites %s, which is not in the "
                                        "repository: %s" % (rel, n, bad, line.strip()))
        report(self, problems)


if __name__ == "__main__":
    unittest.main(verbosity=2)
