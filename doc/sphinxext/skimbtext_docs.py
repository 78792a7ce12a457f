"""Sphinx directives of the skimbtext documentation.

``parameter-table``
    The parameters of an estimator as a table: name, the default read from the
    signature, the value used in the method's paper (given in the directive's
    content) and the first sentence of the docstring's description. Defaults
    therefore always match the code; a parameter missing from the docstring, or
    a paper value for a parameter that the estimator does not have, is reported
    as a warning (an error with ``-W``).

``benchmark-results``
    A results file written by the benchmark suites (a small subset of Markdown:
    ``#`` headings, paragraphs, pipe tables, images on a line of their own,
    inline code, bold and italics) rendered as document nodes, so the page shows
    the current numbers.
"""

import glob
import importlib
import inspect
import posixpath
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _import_object(path):
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _first_sentence(lines):
    """First sentence of a numpydoc description, outside inline literals."""
    text = " ".join(line.strip() for line in lines).strip()
    in_literal = False
    i = 0
    while i < len(text):
        if text.startswith("``", i):
            in_literal = not in_literal
            i += 2
            continue
        ends = i + 1 == len(text) or text[i + 1] == " "
        abbreviation = text[:i].endswith(("e.g", "i.e", "etc", " al"))
        if not in_literal and text[i] == "." and ends and not abbreviation:
            return text[: i + 1]
        i += 1
    return text


def _format_default(value):
    if isinstance(value, str):
        return f'``"{value}"``'
    return f"``{value!r}``"


class ParameterTable(SphinxDirective):
    """``.. parameter-table:: skimbtext.DCMIClassifier`` with ``name: paper value``
    lines as content."""

    required_arguments = 1
    has_content = True
    option_spec = {"exclude": directives.unchanged}

    def run(self):
        from numpydoc.docscrape import NumpyDocString

        estimator = _import_object(self.arguments[0])
        signature = inspect.signature(estimator.__init__)
        parameters = [p for p in signature.parameters.values() if p.name != "self"]
        docs = {
            p.name: p.desc
            for p in NumpyDocString(inspect.getdoc(estimator))["Parameters"]
        }
        paper = {}
        for line in self.content:
            if not line.strip():
                continue
            name, _, value = line.partition(":")
            paper[name.strip()] = value.strip()
        known = {p.name for p in parameters}
        for name in sorted(known - set(docs)):
            logger.warning(
                "parameter-table: %s does not document its parameter %r",
                self.arguments[0],
                name,
                location=self.get_location(),
            )
        for name in sorted(set(paper) - known):
            logger.warning(
                "parameter-table: %s has no parameter %r (listed with a paper value)",
                self.arguments[0],
                name,
                location=self.get_location(),
            )
        excluded = {
            name.strip()
            for name in self.options.get("exclude", "").split(",")
            if name.strip()
        }
        # Without paper values (content), the table has no Paper column.
        with_paper = bool(paper)
        rows = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: " + ("18 14 20 48" if with_paper else "20 16 64"),
            "   :class: parameter-table",
            "",
            "   * - Parameter",
            "     - Default",
            *(["     - Paper"] if with_paper else []),
            "     - Meaning",
        ]
        for parameter in parameters:
            if parameter.name in excluded:
                continue
            rows += [
                f"   * - ``{parameter.name}``",
                f"     - {_format_default(parameter.default)}",
                *([f"     - {paper.get(parameter.name, '')}"] if with_paper else []),
                f"     - {_first_sentence(docs.get(parameter.name, []))}",
            ]
        container = nodes.container()
        self.state.nested_parse(
            StringList(rows, source=self.get_source_info()[0]),
            self.content_offset,
            container,
        )
        return container.children


_INLINE = re.compile(
    r"``(?P<code2>[^`]+)``|`(?P<code>[^`]+)`|\*\*(?P<strong>[^*]+)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*]*?)\*(?![\w*])"
)


def _inline(text):
    """Text nodes for the inline Markdown of a results file."""
    result = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            result.append(nodes.Text(text[position : match.start()]))
        if match.group("code2") or match.group("code"):
            code = match.group("code2") or match.group("code")
            result.append(nodes.literal(code, code))
        elif match.group("strong"):
            result.append(nodes.strong(match.group("strong"), match.group("strong")))
        else:
            result.append(nodes.emphasis(match.group("em"), match.group("em")))
        position = match.end()
    if position < len(text):
        result.append(nodes.Text(text[position:]))
    return result


_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)$")


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table(lines):
    header, body = _cells(lines[0]), [_cells(line) for line in lines[2:]]
    n_columns = len(header)
    table = nodes.table(classes=["benchmark-table", "colwidths-auto"])
    group = nodes.tgroup(cols=n_columns)
    table += group
    for _ in range(n_columns):
        group += nodes.colspec(colwidth=1)

    def row(cells):
        row_node = nodes.row()
        for cell in (cells + [""] * n_columns)[:n_columns]:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", *_inline(cell))
            row_node += entry
        return row_node

    head = nodes.thead()
    head += row(header)
    group += head
    tbody = nodes.tbody()
    for cells in body:
        tbody += row(cells)
    group += tbody
    return table


def _markdown_nodes(lines, folder):
    """Document nodes for the Markdown of one results file.

    The first ``#`` heading is returned apart, as the title; images are linked
    relative to ``folder`` (the file's folder, relative to the document).
    """
    title, result, paragraph, table = None, [], [], []

    def flush_paragraph():
        if paragraph:
            text = " ".join(line.strip() for line in paragraph)
            result.append(nodes.paragraph("", "", *_inline(text)))
            paragraph.clear()

    def flush_table():
        if table:
            result.append(_table(table))
            table.clear()

    for line in lines:
        stripped = line.strip()
        image = _IMAGE.match(stripped)
        if image:
            flush_paragraph()
            flush_table()
            figure = nodes.figure()
            figure += nodes.image(
                uri=posixpath.join(folder, image.group("src")), alt=image.group("alt")
            )
            figure += nodes.caption("", "", *_inline(image.group("alt")))
            result.append(figure)
            continue
        if stripped.startswith("|"):
            flush_paragraph()
            table.append(stripped)
            continue
        flush_table()
        if not stripped:
            flush_paragraph()
        elif stripped.startswith("#"):
            flush_paragraph()
            heading = stripped.lstrip("#").strip()
            if title is None:
                title = heading
            else:
                result.append(nodes.rubric("", "", *_inline(heading)))
        else:
            paragraph.append(stripped)
            if line.endswith("  "):  # a Markdown hard line break
                flush_paragraph()
    flush_paragraph()
    flush_table()
    return title, result


class BenchmarkResults(SphinxDirective):
    """``.. benchmark-results:: ../benchmarks/results/*_cpu.md``: one section per
    results file matching the pattern (relative to the document), in file-name
    order, titled by the file's first heading."""

    required_arguments = 1

    def run(self):
        pattern = self.arguments[0]
        _, absolute = self.env.relfn2path(pattern)
        paths = sorted(Path(p) for p in glob.glob(absolute))
        if not paths:
            logger.warning(
                "benchmark-results: no file matches %s",
                pattern,
                location=self.get_location(),
            )
            return []
        folder = posixpath.dirname(pattern)
        # Rebuild the page when a results file is added or removed.
        self.env.note_dependency(self.env.relfn2path(folder)[0])
        sections = []
        for path in paths:
            relative, _ = self.env.relfn2path(posixpath.join(folder, path.name))
            self.env.note_dependency(relative)
            lines = path.read_text(encoding="utf-8").splitlines()
            title, body = _markdown_nodes(lines, folder)
            section = nodes.section()
            section["ids"].append(nodes.make_id(f"results-{path.stem}"))
            section += nodes.title("", "", *_inline(title or path.stem))
            source = nodes.paragraph()
            source += nodes.Text("From ")
            source += nodes.literal(path.name, f"benchmarks/results/{path.name}")
            source += nodes.Text(".")
            section += source
            section.extend(body)
            sections.append(section)
        return sections


#: Order of the gallery examples (``within_subsection_order``): the quickstart
#: first, then one example per method, then tuning; others after, by name.
EXAMPLE_ORDER = (
    "plot_quickstart.py",
    "plot_sharprecl_imbalance.py",
    "plot_dcmi_domains.py",
    "plot_miso_vs_smote.py",
    "plot_grid_search.py",
)


def example_order(filename):
    """Sort key of a gallery example's file name."""
    name = posixpath.basename(str(filename))
    if name in EXAMPLE_ORDER:
        return EXAMPLE_ORDER.index(name), name
    return len(EXAMPLE_ORDER), name


def setup(app):
    app.add_directive("parameter-table", ParameterTable)
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
