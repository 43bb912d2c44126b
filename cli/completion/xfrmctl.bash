# bash completion for xfrmctl(8)
_xfrmctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local opts="-j --json -k --keys -s --stats -o --oneline -n --netns --dry-run -V --version -h --help"
	local cmds="version help"
	local i cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-n | --netns) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ $prev == -n || $prev == --netns ]]; then
		COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur"))
		return
	fi
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$opts $cmds" -- "$cur"))
		return
	fi
}
complete -F _xfrmctl xfrmctl
