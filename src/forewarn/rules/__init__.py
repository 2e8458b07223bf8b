"""The catalogue as code: one module per rule, its real cases in a YAML file beside it.

A rule registers itself with `@rule` when its module is imported; `RULES` knows every code from
the start (forewarn/index.py) and imports a rule's module when the rule is first asked for, so
adding a rule edits no registry.
"""

from forewarn.rules._registry import RULES, Hit, Rule, StepTemplate, note, rule, step

__all__ = ["RULES", "Hit", "Rule", "StepTemplate", "note", "rule", "step"]
