"""Write the notebook twins of homework 2's example submissions (``submissions/notebook_*``).

Each notebook is its twin's module cut into cells at the ``# --- Q...`` section comments,
each section a markdown cell and a code cell; ``notebook_plots`` adds what only a notebook
has (magics, shell lines, a help line, a plot, ``display``). The grader must score each
exactly as its twin (``tests/test_examples.py``). Run ``python tools/example_notebooks.py``
after changing a twin.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent / "submissions"
TWINS = {"notebook_correct": "correct", "notebook_buggy": "buggy",
         "notebook_syntax_error": "syntax_error", "notebook_plots": "correct"}

NOTEBOOK_ONLY_TOP = """%matplotlib inline
%load_ext autoreload
%autoreload 2
!pip install --quiet numpy
files = !ls
np?"""

NOTEBOOK_ONLY_BOTTOM = [
    """%%bash
echo "a cell magic that is not Python: skipped when graded"
""",
    """%%time
# a cell magic whose body is Python: runs once when graded
check = softmax(np.array([1.0, 2.0, 3.0]))
print(check)""",
    """import matplotlib.pyplot as plt

z = np.linspace(-8, 8, 200)
plt.plot(z, sigmoid(z), label="sigmoid")
plt.legend()
plt.show()
display(sigmoid(np.zeros(3)))
get_ipython().run_line_magic("who", "")""",
]


def cells(source: str) -> list[nbformat.NotebookNode]:
    docstring = re.match(r'"""(.*?)"""\n', source, re.S)
    found = [new_markdown_cell(docstring.group(1).strip())] if docstring else []
    body = source[docstring.end():] if docstring else source
    for chunk in re.split(r"\n(?=# --- )", body.strip("\n")):
        title = re.match(r"# --- (.*?) -*\n", chunk)
        if title:
            found.append(new_markdown_cell(f"## {title.group(1)}"))
            chunk = chunk[title.end():]
        if chunk.strip():
            found.append(new_code_cell(chunk.strip("\n")))
    return found


def main() -> None:
    for name, twin in TWINS.items():
        source = (ROOT / twin / "hw2.py").read_text(encoding="utf-8")
        notebook = new_notebook()
        notebook.cells = cells(source)
        if name == "notebook_plots":
            at = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
            notebook.cells.insert(at + 1, new_code_cell(NOTEBOOK_ONLY_TOP))
            notebook.cells += [new_code_cell(text) for text in NOTEBOOK_ONLY_BOTTOM]
        notebook.cells.insert(0, new_markdown_cell(
            f"*The notebook twin of `submissions/{twin}/hw2.py` (written by "
            f"`tools/example_notebooks.py`).*"))
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        for i, cell in enumerate(notebook.cells):
            cell["id"] = f"cell-{i}"  # (stable ids: the files do not change when rewritten)
        (ROOT / name).mkdir(exist_ok=True)
        nbformat.write(notebook, ROOT / name / "hw2.ipynb")


if __name__ == "__main__":
    main()
