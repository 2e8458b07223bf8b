"""Tolerant YAML for Kubernetes files: several documents, ConfigMaps that embed a config as a
string, shell prompts and Markdown fences around a paste, and line numbers for every key.

`documents(text)` never raises: what cannot be read becomes a `ParseProblem`, and the documents
read before a syntax error are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forewarn.model.problems import ParseProblem
from forewarn.parse._text import lazy_compile

if TYPE_CHECKING:  # yaml is imported when a document is read: a run with no Kubernetes file starts without it
    import yaml

# `[root@km ~]# cat x`, `$ kubectl ...`, `# kubectl -n kube-system edit cm kube-proxy` (a shell
# prompt, not a YAML comment, when a command follows), ``` fences.
_NOISE = lazy_compile(r"^\s*(```.*|\[[^\]]*\][#$].*|\S*[$#]\s+(cat|kubectl|calicoctl|k|sudo|vim|vi|less)\b.*|\$\s.*)$")


@dataclass(slots=True)
class Doc:
    """One YAML document: its value, and the 1-based line of every key path seen."""

    data: Any
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def line(self, *path: str) -> int | None:
        return self.lines.get(tuple(path))

    def get(self, *path: str) -> Any:
        cur = self.data
        for p in path:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
        return cur

    @property
    def kind(self) -> str | None:
        k = self.get("kind")
        return k if isinstance(k, str) else None


def clean(text: str) -> str:
    """Blank out prompt and fence lines (keeping line numbers)."""
    return "\n".join("" if _NOISE.match(line) else line for line in text.splitlines())


def _walk(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], int], offset: int) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                p = path + (str(k.value),)
                out.setdefault(p, k.start_mark.line + 1 + offset)
                _walk(v, p, out, offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            p = path + (str(i),)
            out.setdefault(p, item.start_mark.line + 1 + offset)
            _walk(item, p, out, offset)


def documents(text: str, offset: int = 0) -> tuple[list[Doc], list[ParseProblem]]:
    """Every YAML document of `text`; `offset` shifts line numbers (for embedded configs)."""
    import yaml

    docs: list[Doc] = []
    problems: list[ParseProblem] = []
    try:
        loader = yaml.SafeLoader(clean(text))
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        return docs, [ParseProblem(f"YAML error: {str(exc)[:120]}")]
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            data = loader.construct_document(node)
            lines: dict[tuple[str, ...], int] = {}
            _walk(node, (), lines, offset)
            docs.append(Doc(data, lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line_no = mark.line + 1 + offset if mark is not None else None
        problems.append(ParseProblem(f"YAML error: {str(getattr(exc, 'problem', None) or exc)[:120]}", line_no))
    except (ValueError, TypeError, RecursionError) as exc:  # odd tags or timestamps in constructors
        problems.append(ParseProblem(f"YAML value not understood: {str(exc)[:120]}"))
    finally:
        loader.dispose()
    return docs, problems


def embedded(doc: Doc, key_names: tuple[str, ...]) -> tuple[list[Doc], list[ParseProblem]]:
    """Documents embedded as strings in a ConfigMap's `data` (kube-proxy `config.conf`,
    kubeadm-config `ClusterConfiguration`, kubelet-config `kubelet`)."""
    out: list[Doc] = []
    problems: list[ParseProblem] = []
    data = doc.get("data")
    if not isinstance(data, dict):
        return out, problems
    for key, value in data.items():
        if str(key) not in key_names or not isinstance(value, str):
            continue
        start = doc.line("data", str(key)) or 0
        # a block scalar (`config.conf: |-`) starts on the line after its key
        sub, probs = documents(value, offset=start)
        out.extend(sub)
        problems.extend(probs)
    return out, problems


def find_kind(text: str, kinds: tuple[str, ...], configmap_keys: tuple[str, ...] = ()) -> tuple[Doc | None, list[Doc], list[ParseProblem]]:
    """The first document whose `kind` is one of `kinds`, looking inside ConfigMaps too.

    Returns (that document or None, all documents read, problems)."""
    docs, problems = documents(text)
    every: list[Doc] = list(docs)
    for d in docs:
        if configmap_keys and d.kind in ("ConfigMap", None) and isinstance(d.get("data"), dict):
            sub, probs = embedded(d, configmap_keys)
            every.extend(sub)
            problems.extend(probs)
        items = d.get("items")
        if d.kind in ("List", "ConfigMapList") and isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and item.get("kind") == "ConfigMap":
                    sub_doc = Doc(item, {k[2:]: v for k, v in d.lines.items() if k[:2] == ("items", str(i))})
                    sub, probs = embedded(sub_doc, configmap_keys)
                    every.extend(sub)
                    problems.extend(probs)
    for d in every:
        if d.kind in kinds:
            return d, every, problems
    return None, every, problems
