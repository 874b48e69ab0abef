# Sourced by the images' scripts. secret NAME prints the value of the
# variable NAME, or the contents of the file that NAME_FILE names (one
# trailing newline removed), the convention the API and ch-matcher follow
# too. Setting both is an error; so is an empty or unreadable file.

secret() {
	local name=$1 file value
	file=$(eval "printf '%s' \"\${${name}_FILE:-}\"")
	value=$(eval "printf '%s' \"\${${name}:-}\"")
	if [ -n "$file" ] && [ -n "$value" ]; then
		echo "$name and ${name}_FILE are both set: give one" >&2
		return 1
	fi
	if [ -n "$file" ]; then
		[ -r "$file" ] || { echo "${name}_FILE: cannot read $file" >&2; return 1; }
		value=$(cat "$file")	# drops the trailing newline
		[ -n "$value" ] || { echo "${name}_FILE: $file is empty" >&2; return 1; }
	fi
	[ -n "$value" ] || { echo "$name (or ${name}_FILE) is not set" >&2; return 1; }
	printf '%s' "$value"
}

# log LEVEL EVENT [MESSAGE]: one JSON line on stdout, like every service.
log() {
	local msg=${3:-}
	msg=${msg//\\/\\\\}
	msg=${msg//\"/\\\"}
	printf '{"time":"%s","level":"%s","event":"%s","message":"%s"}\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$msg"
}
