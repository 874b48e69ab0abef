# Sourced by the images' scripts.
#
# secret NAME VAR sets VAR to the value of the variable NAME, or to the
# contents of the file that NAME_FILE names, by the rule the API and
# ch-matcher follow (common/envfile.c): one trailing "\n" or "\r\n" is
# removed, nothing else; both set, an unreadable or empty file, or neither
# set is an error (status 1, a message on stderr). It is a statement of
# its own, so set -e stops the script when it fails (a failure inside
# $(...) in a command's environment would go unnoticed), and no $(...)
# strips further newlines.

secret() {
	local name=$1 var=$2 file value
	local ref=${name}_FILE
	file=${!ref:-}
	value=${!name:-}
	if [ -n "$file" ] && [ -n "$value" ]; then
		echo "$name and ${name}_FILE are both set: give one" >&2
		return 1
	fi
	if [ -n "$file" ]; then
		if [ ! -f "$file" ] || [ ! -r "$file" ]; then
			echo "${name}_FILE: cannot read $file" >&2
			return 1
		fi
		# The x keeps the trailing newlines that $(...) would strip.
		value=$(cat -- "$file" && printf x) || return 1
		value=${value%x}
		case $value in
		*$'\r\n') value=${value%$'\r\n'} ;;
		*$'\n') value=${value%$'\n'} ;;
		esac
		[ -n "$value" ] || { echo "${name}_FILE: $file is empty" >&2; return 1; }
	fi
	[ -n "$value" ] || { echo "$name (or ${name}_FILE) is not set" >&2; return 1; }
	printf -v "$var" '%s' "$value"
}

# log LEVEL EVENT [MESSAGE]: one JSON line on stdout, like every service.
log() {
	local msg=${3:-}
	msg=${msg//\\/\\\\}
	msg=${msg//\"/\\\"}
	printf '{"time":"%s","level":"%s","event":"%s","message":"%s"}\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$msg"
}
