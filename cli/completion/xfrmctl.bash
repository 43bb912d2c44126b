# bash completion for xfrmctl(8)
_xfrmctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local opts="-j --json -k --keys -s --stats -o --oneline -n --netns -b --batch --force --dry-run -V --version -h --help"
	local cmds="state policy monitor verify trace version help"
	local i cmd= sub=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-n | --netns | -b | --batch) ((i++)) ;;
		--pcap | --live | --sa-file | --filter | --write-decrypted | --jobs | --duration | --count | --spi | --port | --expect-path) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			elif [[ -z $sub ]]; then
				sub=${COMP_WORDS[i]}
			fi
			;;
		esac
	done
	case $prev in
	-n | --netns) COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
	-b | --batch) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	proto) COMPREPLY=($(compgen -W "esp ah comp route2 hao tcp udp sctp dccp icmp ipv6-icmp gre" -- "$cur")); return ;;
	mode) COMPREPLY=($(compgen -W "transport tunnel beet ro in_trigger" -- "$cur")); return ;;
	aead) COMPREPLY=($(compgen -W "'rfc4106(gcm(aes))' 'rfc4309(ccm(aes))' 'rfc4543(gcm(aes))' 'rfc7539esp(chacha20,poly1305)'" -- "$cur")); return ;;
	enc) COMPREPLY=($(compgen -W "'cbc(aes)' 'rfc3686(ctr(aes))' 'cbc(des3_ede)' 'ecb(cipher_null)'" -- "$cur")); return ;;
	auth | auth-trunc) COMPREPLY=($(compgen -W "'hmac(sha1)' 'hmac(sha256)' 'hmac(sha384)' 'hmac(sha512)' 'xcbc(aes)' 'cmac(aes)'" -- "$cur")); return ;;
	comp) COMPREPLY=($(compgen -W "deflate lzs lzjh" -- "$cur")); return ;;
	flag) COMPREPLY=($(compgen -W "noecn decap-dscp nopmtudisc wildrecv icmp af-unspec align4 esn" -- "$cur")); return ;;
	extra-flag) COMPREPLY=($(compgen -W "dont-encap-dscp oseq-may-wrap" -- "$cur")); return ;;
	encap) COMPREPLY=($(compgen -W "espinudp espinudp-nonike espintcp" -- "$cur")); return ;;
	limit) COMPREPLY=($(compgen -W "time-soft time-hard time-use-soft time-use-hard byte-soft byte-hard packet-soft packet-hard" -- "$cur")); return ;;
	dir) COMPREPLY=($(compgen -W "in out fwd" -- "$cur")); return ;;
	ptype) COMPREPLY=($(compgen -W "main sub" -- "$cur")); return ;;
	action) COMPREPLY=($(compgen -W "allow block" -- "$cur")); return ;;
	level) COMPREPLY=($(compgen -W "required use" -- "$cur")); return ;;
	dev | --live) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
	--pcap | --sa-file | --write-decrypted | --wireshark) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--expect-path) COMPREPLY=($(compgen -W "software offload" -- "$cur")); return ;;
	--filter | --jobs | --duration | --count | --spi | --port) return ;;
	esac
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$opts $cmds" -- "$cur"))
		return
	fi
	case $cmd in
	policy)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "add update get delete del list flush count setdefault getdefault help" -- "$cur"))
			return
		fi
		case $sub in
		add | update) COMPREPLY=($(compgen -W "src dst dev proto sport dport type code key dir ctx mark index ptype action priority flag if_id limit tmpl mode reqid level spi" -- "$cur")) ;;
		get | delete | del) COMPREPLY=($(compgen -W "src dst dev proto sport dport index dir ctx mark ptype if_id" -- "$cur")) ;;
		list) COMPREPLY=($(compgen -W "src dst dev proto dir index ptype action priority" -- "$cur")) ;;
		flush) COMPREPLY=($(compgen -W "ptype" -- "$cur")) ;;
		setdefault) COMPREPLY=($(compgen -W "in out fwd accept block" -- "$cur")) ;;
		esac
		;;
	verify)
		COMPREPLY=($(compgen -W "--pcap --live --sa-file --filter --write-decrypted --quiet --jobs help" -- "$cur"))
		;;
	trace)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "live check list help" -- "$cur"))
		elif [[ $sub == live ]]; then
			COMPREPLY=($(compgen -W "--duration --count --spi --events --port --expect-path --no-modprobe" -- "$cur"))
		fi
		;;
	monitor)
		COMPREPLY=($(compgen -W "all state policy acquire expire aevent report mapping migrate rcvbuf help" -- "$cur"))
		;;
	state)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "add update allocspi get delete del list flush count export help" -- "$cur"))
			return
		fi
		case $sub in
		add | update) COMPREPLY=($(compgen -W "src dst proto spi aead enc auth auth-trunc comp mode reqid seq replay-window replay-seq replay-oseq replay-seq-hi replay-oseq-hi flag extra-flag sel limit encap coa mark output-mark if_id tfcpad ctx dir offload" -- "$cur")) ;;
		allocspi) COMPREPLY=($(compgen -W "src dst proto mode reqid seq mark min max" -- "$cur")) ;;
		get | delete | del) COMPREPLY=($(compgen -W "src dst proto spi mark" -- "$cur")) ;;
		list) COMPREPLY=($(compgen -W "src dst proto spi mode reqid" -- "$cur")) ;;
		flush) COMPREPLY=($(compgen -W "proto" -- "$cur")) ;;
		export) COMPREPLY=($(compgen -W "--wireshark" -- "$cur")) ;;
		esac
		;;
	esac
}
complete -F _xfrmctl xfrmctl
