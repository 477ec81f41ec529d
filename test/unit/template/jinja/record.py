# Records cases.json: renders each case with ansible-core's Templar (AnsibleEnvironment, as the
# template module does). Run: /usr/bin/python3 test/unit/template/jinja/record.py > test/unit/template/jinja/cases.json
# cases: (name, template, vars)
C = [
 ("final newline after endif", "x = 1\n{% if true %}y = 2{% endif %}\n", {}),
 ("brace line after endfor", "server {\n{% for s in servers %}\n    listen {{ s }};\n{% endfor %}\n}\n", {"servers": [80, 443]}),
 ("brace line after endif", "{\n  \"a\": 1{% if more %},\n  \"b\": 2\n{% endif %}\n}\n", {"more": True}),
 ("json dict literal in expression", "{{ {'a': {'b': 1}} }}}\n", {}),
 ("trim_blocks default", "{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\n", {}),
 ("dash strip", "a   {%- if true -%}   b   {%- endif -%}\n   c\n", {}),
 ("var dash strip", "a  {{- 'x' -}}  \n b\n", {}),
 ("plus disables trim", "{% if true +%}\nx\n{%+ endif %}\n", {}),
 ("header lstrip no trim", "#jinja2: trim_blocks: False, lstrip_blocks: True\n{% for i in [1,2] %}\n    {% if i %}\n  a{{ i }}\n    {% endif %}\n{% endfor %}\n", {}),
 ("header lstrip", "#jinja2:lstrip_blocks: True\n<ul>\n  {% for i in xs %}\n  <li>{{ i }}</li>\n  {% endfor %}\n</ul>\n", {"xs": ["a", "b"]}),
 ("header keep trailing newline", "#jinja2: keep_trailing_newline: True\na\n\n", {}),
 ("header custom delimiters", "#jinja2: variable_start_string:'[%', variable_end_string:'%]'\nx=[% v %] {{ v }}\n", {"v": 3}),
 ("header newline sequence", "#jinja2: newline_sequence:'\\r\\n'\na\nb\n", {}),
 ("comments", "a {# c #}\n  {#- x -#}   b\n{# line #}\nc\n", {}),
 ("raw", "{% raw %}{{ not a var }} {% if %}{% endraw %}\nend\n", {}),
 ("multiple trailing newlines", "a\n{% if false %}b{% endif %}\n\n\n", {}),
 ("no trailing newline", "a{{ 1 }}", {}),
 ("if elif else", "{% for x in [1,2,3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}\n", {}),
 ("for else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}\n", {}),
 ("for if filter and loop vars", "{% for x in [1,2,3,4] if x is even %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}\n", {}),
 ("loop cycle prev next", "{% for x in ['a','b','c'] %}{{ loop.cycle('odd','even') }}:{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }} {% endfor %}\n", {}),
 ("loop changed", "{% for x in [1,1,2,2,3] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}\n", {}),
 ("tuple unpacking items", "{% for k, v in d.items() %}{{ k }}={{ v }}\n{% endfor %}", {"d": {"b": 1, "a": [1, "x"]}}),
 ("dictsort", "{% for k, v in d | dictsort %}{{ k }}={{ v }} {% endfor %}\n", {"d": {"b": 1, "a": 2}}),
 ("loop over dict keys", "{% for k in d %}{{ k }},{% endfor %}\n", {"d": {"x": 1, "y": 2}}),
 ("nested loops depth", "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ b }}{{ a }} {% endfor %}|{{ loop.index }}{% endfor %}\n", {}),
 ("recursive loop", "{% for n in tree recursive %}<{{ n.name }}:{{ loop.depth }}{% if n.children is defined %}{{ loop(n.children) }}{% endif %}>{% endfor %}\n", {"tree": [{"name": "a", "children": [{"name": "b"}, {"name": "c", "children": [{"name": "d"}]}]}, {"name": "e"}]}),
 ("set scoping in loop", "{% set c = 0 %}{% for i in [1,2,3] %}{{ c }}{% set c = c + 1 %}{{ c }},{% endfor %}{{ c }}\n", {}),
 ("namespace", "{% set ns = namespace(found=false, n=0) %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}\n", {}),
 ("set tuple", "{% set a, b = [1, 2] %}{{ b }}{{ a }}\n", {}),
 ("block set", "{% set body %}\nhello {{ 1 }}\n{% endset %}[{{ body }}]\n", {}),
 ("block set filter", "{% set y | trim | upper %}  x y  {% endset %}[{{ y }}]\n", {}),
 ("filter block", "{% filter upper %}abc {{ v }}{% endfilter %}\n{% filter indent(4) %}\na\nb\n{% endfilter %}\n", {"v": "q"}),
 ("macro defaults", "{% macro m(a, b=2, c=a ~ '!') %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, 3) }}{{ m('x', c='y') }}\n", {}),
 ("macro kwargs", "{% macro m(a) %}[{{ a }} {{ kwargs.z }}]{% endmacro %}{{ m(1, z=5) }}\n", {}),
 ("macro sees template vars", "{% macro m() %}{{ v }}{% endmacro %}{{ m() }}\n", {"v": "outer"}),
 ("macro whitespace", "{% macro line(k, v) %}\n{{ k }} = {{ v }}\n{% endmacro %}\n[s]\n{{ line('a', 1) }}{{ line('b', 2) }}\n", {}),
 ("macro takes an undefined argument", "{% macro opt(k, v) %}{% if v is defined %}{{ k }} {{ v }}\n{% else %}#{{ k }} unset\n{% endif %}{% endmacro %}{{ opt('Port', port) }}{{ opt('Include', include) }}{{ opt('Kw', v=missing) }}{{ opt('Shadow', nothere) }}", {"port": 22, "v": "outer"}),
 ("call block", "{% macro wrap(t) %}<{{ caller(t) }}|{{ caller('z') }}>{% endmacro %}{% call(v) wrap('q') %}in:{{ v }}{% endcall %}\n", {}),
 ("call no args", "{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}\nx\n{% endcall %}\n", {}),
 ("with block", "{% with a = 1, b = v %}{{ a }}{{ b }}{% endwith %}{{ a is defined }}\n", {"v": 2}),
 ("include", "a\n{% include 'inc/part.j2' %}\nb\n", {"v": "V"}),
 ("include in loop sees loop var", "{% for x in [1,2] %}{% include 'inc/item.j2' %}{% endfor %}\n", {}),
 ("include ignore missing", "a{% include 'inc/nothere.j2' ignore missing %}b\n", {}),
 ("include list first found", "{% include ['inc/nothere.j2', 'inc/part.j2'] %}\n", {"v": 1}),
 ("import macros", "{% import 'inc/macros.j2' as m %}{{ m.kv('a', 1) }}{{ m.kv('b', 2) }}\n", {}),
 ("from import", "{% from 'inc/macros.j2' import kv, kv as other %}{{ kv('x', 0) }}{{ other('y', 9) }}\n", {}),
 ("values as python prints them", "{{ none }}|{{ [1, 'a', none, true] }}|{{ {'a': 1} }}|{{ true }}|{{ 3 }}|{{ 'x' ~ 1 }}\n", {}),
 ("undefined default", "{{ missing | default('d') }} {{ (missing is defined) | lower }}\n", {}),
 ("strings with escapes", "{{ 'a\\tb' }}|{{ \"q'\" }}|{{ 'x' | regex_replace('\\\\w', 'y') }}\n", {}),
 ("ansible style filters", "{{ users | map(attribute='name') | join(', ') }} {{ users | selectattr('admin') | list | length }}\n", {"users": [{"name": "a", "admin": True}, {"name": "b", "admin": False}]}),
 ("inline if", "{{ 'yes' if flag else 'no' }} {{ 'x' if not flag }}.\n", {"flag": False}),
 ("whitespace control mix", "{% for h in hosts -%}\n  {{ h }}\n{%- if not loop.last %},{% endif %}\n{%- endfor %}\n", {"hosts": ["a", "b", "c"]}),
 ("nginx upstream", "upstream app {\n{% for s in servers %}\n    server {{ s.host }}:{{ s.port | default(80) }}{% if s.backup | default(false) %} backup{% endif %};\n{% endfor %}\n}\n", {"servers": [{"host": "a"}, {"host": "b", "port": 81, "backup": True}]}),
 ("lstrip with dash", "#jinja2: lstrip_blocks: True\n  {%- if true %}\n  x\n  {% endif -%}\n  y\n", {}),
 ("joiner cycler", "{% set j = joiner(' / ') %}{% for x in [1,2,3] %}{{ j() }}{{ x }}{% endfor %}\n", {}),
 ("CRLF source", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}),
 ("ansible_managed", "# {{ ansible_managed }}\n", {}),
 ("block without extends", "{% block head %}\nh {{ v }}\n{% endblock %}\n{% block empty %}{% endblock empty %}x\n", {"v": 1}),
 ("parenthesised loop targets", "{% for (k, v) in d.items() %}{{ k }}{{ v }}{% endfor %}\n", {"d": {"a": 1}}),
 ("parenthesised inline if", "{{ ((x) if x is defined else 'no') }} {{ (1 if false) }}.\n", {}),
 ("comment filter styles", "{{ 'a\\nb' | comment }}\n{{ 'x' | comment('c') }}\n{{ 'x' | comment('cblock') }}\n{{ 'x' | comment('xml') }}\n{{ 'm' | comment(decoration='; ') }}\n{{ 'm' | comment('plain', prefix='#!', postfix_count=2) }}\n", {}),
 ("extends with super and nested blocks", "A{% extends 'inc/base.j2' %}B{% block x %}child+{{ super() }}{% endblock %}C{% block z %}z2{% endblock %}\n", {}),
 ("extends runs sets after it", "{% extends 'inc/base.j2' %}{% set v = 3 %}{% block y %}<{{ v }}>{% endblock %}\n", {}),
]
import os, sys, json
from ansible.template import Templar, AnsibleEnvironment, generate_ansible_template_vars
from ansible.parsing.dataloader import DataLoader
out = []
for name, src, vars in C:
    v = dict(vars)
    t = Templar(loader=DataLoader(), variables=v)
    t = t.copy_with_new_env(environment_class=AnsibleEnvironment, searchpath=[os.path.dirname(os.path.abspath(__file__))], available_variables={**v, "ansible_managed": "Ansible managed"})
    try:
        r = t.do_template(src, preserve_trailing_newlines=True, escape_backslashes=False)
        out.append({"name": name, "template": src, "vars": vars, "expected": str(r)})
    except Exception as e:
        out.append({"name": name, "template": src, "vars": vars, "error": f"{type(e).__name__}: {e}"})
print(json.dumps(out, indent=1, ensure_ascii=False))
