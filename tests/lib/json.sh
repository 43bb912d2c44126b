# tests/lib/json.sh: assertions on JSON output, with Python's parser.
#   t_json JSON EXPR WANT   EXPR is Python over the parsed document `j`;
#                           its value (str() of it; JSON for lists/dicts) must equal WANT
#   json_valid JSON         fails unless JSON parses
t_json() {
	local got
	got=$(printf '%s' "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)' "$2") ||
		t_fail "JSON expression $2 failed on: $1"
	[ "$got" = "$3" ] || t_fail "JSON $2: got '$got', want '$3'"
}
json_valid() {
	printf '%s' "$1" | python3 -c 'import json, sys; json.load(sys.stdin)' ||
		t_fail "not valid JSON: $1"
}
