"""The grammar of Logs Insights QL as lark reads it (kept in Python so it ships with the package).

It follows AWS's query syntax page,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html (checked December 2026):
commands separated by ``|``, ``#`` comments, ``and``/``or``/``not``, ``like /regex/``, ``in [...]``,
``bin(5m)`` periods, and backquoted field names for names with other characters.
"""

GRAMMAR = r"""
query: command ("|" command)*

?command: fields | display | filter | stats | sort | limit | parse | dedup

fields: "fields" named ("," named)*
display: "display" field ("," field)*
filter: "filter" expr
stats: "stats" named ("," named)* [BY named ("," named)*]
sort: "sort" sort_key ("," sort_key)*
sort_key: expr [ORDER]
limit: "limit" INT
parse: "parse" [field] (glob_pattern | REGEX)
glob_pattern: STRING "as" NAME_OR_FIELD ("," NAME_OR_FIELD)*
dedup: "dedup" field ("," field)*

named: expr ["as" NAME_OR_FIELD]

?expr: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> or_
?and_expr: not_expr | and_expr "and" not_expr -> and_
?not_expr: "not" not_expr -> not_
         | "!" not_expr -> not_
         | comparison
?comparison: sum
           | sum COMPARE sum -> compare
           | sum "like" (REGEX | STRING) -> like
           | sum "not" "like" (REGEX | STRING) -> not_like
           | sum "=~" REGEX -> like
           | sum "in" list -> in_
           | sum "not" "in" list -> not_in
?sum: product | sum ADD_OP product -> arithmetic
?product: unary | product MUL_OP unary -> arithmetic
?unary: atom | "-" unary -> negate
?atom: NUMBER -> number
     | DURATION -> duration
     | STRING -> string
     | field
     | call
     | "(" expr ")"
list: "[" [literal ("," literal)*] "]"
?literal: NUMBER -> number
        | STRING -> string
        | "-" NUMBER -> negative_number
call: NAME_OR_FIELD "(" [argument ("," argument)*] ")"
?argument: expr | STAR
field: NAME_OR_FIELD | QUOTED_FIELD

BY: "by"
ORDER: "asc" | "desc"
STAR: "*"
COMPARE: "=" | "!=" | "<=" | ">=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%" | "^"
DURATION.2: /\d+(\.\d+)?(ms|mo|min|s|m|h|d|w|q|y)(?![A-Za-z0-9_])/
NUMBER: /\d+(\.\d+)?([eE][+-]?\d+)?/
INT: /\d+/
NAME_OR_FIELD: /@?[A-Za-z_][A-Za-z0-9_.]*/
QUOTED_FIELD: /`[^`]+`/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/
REGEX: /\/(\\.|[^\/\\\n])+\/[a-z]*/

COMMENT: /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""
