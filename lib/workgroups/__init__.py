"""Metrics workgroups: formed on a sustained breach, they test hypotheses and ship actions until recovery.

The handbook asks managers to form a small workgroup when a combined KPI is at or below its floor for
two sustained weeks. The modules: ``model`` (scopes, statuses, verdicts, typed values), ``breaches``
(the scope series, the trigger, recovery), ``repository`` (workgroups read and written), ``contents``
(hypotheses, evidence, members, actions), ``library`` (common hypotheses), ``attention`` (breaches with
no workgroup), ``annotations`` (marks on the trends chart), ``exports`` (handbook entry, issue body)
and ``checks`` (library hypotheses checked against the data).
"""
