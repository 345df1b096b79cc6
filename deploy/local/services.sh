#!/usr/bin/env bash
# Starts and stops a real Kafka broker, a real Elasticsearch node and a
# real OpenSearch node on loopback, as plain JVM processes, for integration
# tests and benchmarks.
#
#   services.sh up [NAME...]     fetch jars, start them, wait until they answer
#   services.sh down [NAME...]   stop what `up` started and delete its data
#   services.sh status [NAME...] show what runs and whether it answers
#   services.sh env [NAME...]    print the test variables as shell exports
#
# NAME is kafka, es or opensearch; without names, all three (or those of
# NEWSWIRE_SERVICES, e.g. "kafka opensearch"). `down` only ever stops
# processes named by this checkout's own pid files.
#
# Everything lives under this directory: jars in .cache/, pid files,
# configs, data and logs in .run/ (both gitignored). See README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="$HERE/.cache"
RUN="$HERE/.run"

JAVA="${NEWSWIRE_JAVA:-java}"
MVN="${NEWSWIRE_MVN:-mvn}"
KAFKA_PORT="${NEWSWIRE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${NEWSWIRE_KAFKA_CONTROLLER_PORT:-9093}"
ES_PORT="${NEWSWIRE_ES_PORT:-9200}"
ES_TRANSPORT_PORT="${NEWSWIRE_ES_TRANSPORT_PORT:-9300}"
OS_PORT="${NEWSWIRE_OPENSEARCH_PORT:-9201}"
OS_TRANSPORT_PORT="${NEWSWIRE_OPENSEARCH_TRANSPORT_PORT:-9301}"
START_TIMEOUT="${NEWSWIRE_START_TIMEOUT:-120}" # seconds, per service
STOP_TIMEOUT="${NEWSWIRE_STOP_TIMEOUT:-30}"    # seconds before SIGKILL

DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
ALL_SERVICES=(kafka es opensearch)

log() { printf 'services: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------- helpers

# marker is a system property put on each JVM command line; it lets `down`
# and `up` recognise their own process even if a pid was reused.
marker() { printf -- '-Dnewswire.local.service=%s' "$1"; }
pidfile() { printf '%s/%s/pid' "$RUN" "$1"; }
logfile() { printf '%s/%s/%s.log' "$RUN" "$1" "$1"; }

# ours NAME prints the recorded pid and succeeds when that process is alive
# and carries our marker.
ours() {
	local pf pid
	pf="$(pidfile "$1")"
	[[ -s "$pf" ]] || return 1
	pid="$(<"$pf")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	local cmdline
	cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
	[[ "$cmdline" == *"$(marker "$1") "* ]] || return 1
	printf '%s' "$pid"
}

ports_of() {
	case "$1" in
	kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
	es) echo "$ES_PORT $ES_TRANSPORT_PORT" ;;
	opensearch) echo "$OS_PORT $OS_TRANSPORT_PORT" ;;
	esac
}

# port_busy PORT succeeds when something listens on 127.0.0.1:PORT.
port_busy() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

port_holder() {
	if command -v ss >/dev/null 2>&1; then
		ss -ltnpH "sport = :$1" 2>/dev/null | sed 's/^/    /'
	fi
}

check_tools() {
	command -v "$JAVA" >/dev/null 2>&1 ||
		die "java not found (looked for '$JAVA'); install a JDK 17 or set NEWSWIRE_JAVA"
	command -v "$MVN" >/dev/null 2>&1 ||
		die "mvn not found (looked for '$MVN'); install Maven 3.8+ or set NEWSWIRE_MVN"
	local v
	v="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
	[[ "$v" =~ ^[0-9]+$ ]] || die "cannot read the Java version of '$JAVA'"
	if ((v < 17)); then
		die "Java $v found; Kafka 4 needs Java 17 or newer (set NEWSWIRE_JAVA)"
	fi
	if ((v > 21)); then
		log "warning: Java $v; Elasticsearch 7.10 is only known to work here on Java 17"
	fi
}

# fetch NAME DIR copies the runtime jars of DIR/pom.xml into
# .cache/NAME-jars. A stamp holding the pom's checksum skips Maven when
# nothing changed.
fetch() {
	local name="$1" pom="$HERE/$2/pom.xml" out="$CACHE/$1-jars" sum
	sum="$(sha256sum "$pom" | cut -d' ' -f1)"
	if [[ -f "$out/.stamp" && "$(<"$out/.stamp")" == "$sum" ]]; then
		return 0
	fi
	log "fetching $name jars with Maven (first run downloads to the local Maven repository)"
	rm -rf "$out"
	mkdir -p "$out"
	if ! "$MVN" -q -B -f "$pom" "$DEP_PLUGIN" \
		-DincludeScope=runtime -DoutputDirectory="$out" >"$CACHE/$name-mvn.log" 2>&1; then
		tail -n 30 "$CACHE/$name-mvn.log" >&2
		die "maven could not fetch the $name jars (full log: $CACHE/$name-mvn.log)"
	fi
	printf '%s' "$sum" >"$out/.stamp"
}

# build_probe compiles the Kafka readiness probe when its source is newer.
PROBE="$CACHE/bin/kafkacheck"
build_probe() {
	command -v go >/dev/null 2>&1 || return 0
	if [[ -x "$PROBE" && "$PROBE" -nt "$HERE/kafkacheck/main.go" ]]; then
		return 0
	fi
	mkdir -p "$CACHE/bin"
	(cd "$REPO" && go build -o "$PROBE" ./deploy/local/kafkacheck) ||
		die "go build of deploy/local/kafkacheck failed"
}

kafka_ready() {
	if [[ -x "$PROBE" ]]; then
		"$PROBE" -addr "127.0.0.1:$KAFKA_PORT" -timeout 2s 2>/dev/null
	else
		# No Go toolchain: fall back to the broker's own start-up line (this
	# does not wait for the group coordinator).
		port_busy "$KAFKA_PORT" && grep -q 'Kafka Server started' "$(logfile kafka)"
	fi
}

# health PORT prints the cluster health status of the engine on PORT.
health() {
	{ curl -fsS --max-time 2 "http://127.0.0.1:$1/_cluster/health" 2>/dev/null || true; } |
		sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

es_health() { health "$ES_PORT"; }
opensearch_health() { health "$OS_PORT"; }

es_ready() {
	local s
	s="$(es_health)"
	[[ "$s" == green || "$s" == yellow ]]
}

opensearch_ready() {
	local s
	s="$(opensearch_health)"
	[[ "$s" == green || "$s" == yellow ]]
}

# spawn NAME DIR CMD... starts CMD detached in its own session, with the
# pid written before exec so the file names the JVM itself.
spawn() {
	local name="$1" dir="$2"
	shift 2
	: >"$(logfile "$name")"
	(
		cd "$dir"
		nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pidfile "$name")" "$@" \
			>>"$(logfile "$name")" 2>&1 </dev/null &
	)
	local i
	for i in $(seq 1 50); do
		[[ -s "$(pidfile "$name")" ]] && return 0
		sleep 0.1
	done
	die "$name did not record its pid"
}

# ------------------------------------------------------------------ kafka

start_kafka() {
	local dir="$RUN/kafka" jars="$CACHE/kafka-jars/*"
	rm -rf "$dir/data"
	mkdir -p "$dir/data"
	cat >"$dir/server.properties" <<EOF
# written by services.sh; one KRaft node that is broker and controller
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# internal topics: one replica, one partition (a single node needs no more,
# and one offsets partition lets the readiness probe cover every group)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
	local cid
	cid="$("$JAVA" -cp "$jars" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 || true)"
	[[ -n "$cid" ]] || die "kafka StorageTool could not make a cluster id"
	if ! "$JAVA" -cp "$jars" kafka.tools.StorageTool format -t "$cid" \
		-c "$dir/server.properties" >"$dir/format.log" 2>&1; then
		tail -n 30 "$dir/format.log" >&2
		die "kafka storage format failed (log: $dir/format.log)"
	fi
	spawn kafka "$dir" "$JAVA" "$(marker kafka)" \
		-Xms512m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
		-Dorg.slf4j.simpleLogger.showDateTime=true \
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
		-cp "$jars" kafka.Kafka "$dir/server.properties"
}

# --------------------------------------------------------- elasticsearch

start_es() {
	local dir="$RUN/es" home="$RUN/es/home"
	rm -rf "$home"
	mkdir -p "$home/node_1/config" "$dir/tmp"
	# The runner copies its own elasticsearch.yml only when none exists, and
	# settings it sets itself (cluster name, node name, http port, paths)
	# take precedence over this file.
	cat >"$home/node_1/config/elasticsearch.yml" <<EOF
# written by services.sh
network.host: 127.0.0.1
transport.port: $ES_TRANSPORT_PORT
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
EOF
	spawn es "$dir" "$JAVA" "$(marker es)" \
		-Xms768m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
		-Dfile.encoding=UTF-8 -Djava.io.tmpdir="$dir/tmp" \
		-Dlog4j2.formatMsgNoLookups=true -Dlog4j2.disable.jmx=true \
		-cp "$CACHE/es-jars/*" org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner \
		-basePath "$home" -numOfNode 1 -baseHttpPort "$((ES_PORT - 1))" \
		-clusterName newswire-local
}

# ------------------------------------------------------------ opensearch

start_opensearch() {
	local dir="$RUN/opensearch" home="$RUN/opensearch/home"
	rm -rf "$home"
	mkdir -p "$home/node_1/config" "$dir/tmp"
	# As for Elasticsearch: the runner keeps an existing opensearch.yml and
	# sets cluster name, node name, http port and paths itself.
	cat >"$home/node_1/config/opensearch.yml" <<EOF
# written by services.sh
network.host: 127.0.0.1
transport.port: $OS_TRANSPORT_PORT
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
EOF
	spawn opensearch "$dir" "$JAVA" "$(marker opensearch)" \
		-Xms768m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
		-Dfile.encoding=UTF-8 -Djava.io.tmpdir="$dir/tmp" \
		-Dlog4j2.formatMsgNoLookups=true -Dlog4j2.disable.jmx=true \
		-cp "$CACHE/opensearch-jars/*" org.codelibs.opensearch.runner.OpenSearchRunner \
		-basePath "$home" -numOfNode 1 -baseHttpPort "$((OS_PORT - 1))" \
		-clusterName newswire-local-opensearch
}

# ------------------------------------------------------------- commands

# preflight NAME: exit when a port of NAME is held by a process we did
# not start.
preflight() {
	local p busy=()
	for p in $(ports_of "$1"); do
		port_busy "$p" && busy+=("$p")
	done
	((${#busy[@]} == 0)) && return 0
	log "error: port(s) ${busy[*]} needed by $1 are in use by another process:"
	for p in "${busy[@]}"; do port_holder "$p" >&2; done
	die "stop that process or choose other ports (NEWSWIRE_*_PORT, see README.md)"
}

# show_log NAME prints the first error lines and the tail of NAME's log;
# the tail alone is often only shutdown noise that hides the cause.
show_log() {
	local f
	f="$(logfile "$1")"
	if grep -qE 'ERROR|FATAL|Exception' "$f"; then
		log "first errors in $f:"
		grep -m 8 -E 'ERROR|FATAL|Exception|Caused by' "$f" >&2 || true
	fi
	log "last lines of $f:"
	tail -n 15 "$f" >&2
}

# wait_ready NAME CHECK waits until CHECK succeeds; it fails with the log
# tail when the process dies or the timeout passes.
wait_ready() {
	local name="$1" check="$2" deadline=$((SECONDS + START_TIMEOUT))
	while ! "$check"; do
		if ! ours "$name" >/dev/null; then
			log "error: $name exited during start-up"
			show_log "$name"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "error: $name not ready after ${START_TIMEOUT}s"
			show_log "$name"
			return 1
		fi
		sleep 0.3
	done
}

# pick NAME... sets SERVICES to the named services (all when none).
pick() {
	SERVICES=()
	local name
	if (($# == 0)); then
		# shellcheck disable=SC2206
		set -- ${NEWSWIRE_SERVICES:-${ALL_SERVICES[*]}}
	fi
	for name in "$@"; do
		case "$name" in
		kafka | es | opensearch) SERVICES+=("$name") ;;
		elasticsearch) SERVICES+=(es) ;;
		*) die "unknown service '$name' (want kafka, es or opensearch)" ;;
		esac
	done
}

# describe NAME prints where NAME answers.
describe() {
	case "$1" in
	kafka) echo "kafka 127.0.0.1:$KAFKA_PORT (pid $(ours kafka)), log $(logfile kafka)" ;;
	es) echo "elasticsearch http://127.0.0.1:$ES_PORT (pid $(ours es), health $(es_health)), log $(logfile es)" ;;
	opensearch) echo "opensearch http://127.0.0.1:$OS_PORT (pid $(ours opensearch), health $(opensearch_health)), log $(logfile opensearch)" ;;
	esac
}

cmd_up() {
	check_tools
	mkdir -p "$CACHE"
	local name started=()
	for name in "${SERVICES[@]}"; do
		mkdir -p "$RUN/$name"
		if ! ours "$name" >/dev/null; then
			rm -f "$(pidfile "$name")"
			preflight "$name"
		fi
	done
	for name in "${SERVICES[@]}"; do
		case "$name" in
		kafka)
			fetch kafka kafka
			build_probe
			;;
		es) fetch es elasticsearch ;;
		opensearch) fetch opensearch opensearch ;;
		esac
	done
	# Search engines first: they take longest to start.
	for name in es opensearch kafka; do
		[[ " ${SERVICES[*]} " == *" $name "* ]] || continue
		if ! ours "$name" >/dev/null; then
			"start_$name"
			started+=("$name")
		fi
	done
	local ok=1
	for name in "${SERVICES[@]}"; do
		wait_ready "$name" "${name}_ready" || ok=0
	done
	if ((ok == 0)); then
		die "start-up failed; run '$0 down ${SERVICES[*]}' to clean up"
	fi
	if ((${#started[@]} == 0)); then
		log "already running"
	fi
	for name in "${SERVICES[@]}"; do
		log "$(describe "$name")"
	done
	log "for tests: eval \"\$($0 env ${SERVICES[*]})\""
}

stop_one() {
	local name="$1" pid
	if pid="$(ours "$name")"; then
		kill -TERM "$pid" 2>/dev/null || true
		local deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$pid" 2>/dev/null; do
			if ((SECONDS >= deadline)); then
				log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
				sleep 0.5
				break
			fi
			sleep 0.2
		done
		log "stopped $name (pid $pid)"
	fi
	rm -f "$(pidfile "$name")"
}

cmd_down() {
	local name
	for name in "${SERVICES[@]}"; do
		stop_one "$name"
		# Data goes; logs stay for a post-mortem until the next `up`.
		case "$name" in
		kafka) rm -rf "$RUN/kafka/data" ;;
		*) rm -rf "$RUN/$name/home" "$RUN/$name/tmp" ;;
		esac
	done
}

cmd_status() {
	local rc=0 pid name label h port
	for name in "${SERVICES[@]}"; do
		label="$name"
		[[ "$name" == es ]] && label=elasticsearch
		if ! pid="$(ours "$name")"; then
			echo "$label: stopped"
			rc=1
			continue
		fi
		case "$name" in
		kafka)
			if kafka_ready; then
				echo "kafka: running (pid $pid), ready on 127.0.0.1:$KAFKA_PORT"
			else
				echo "kafka: running (pid $pid), not answering on 127.0.0.1:$KAFKA_PORT"
				rc=1
			fi
			;;
		*)
			port="$ES_PORT"
			[[ "$name" == opensearch ]] && port="$OS_PORT"
			h="$(health "$port")"
			echo "$label: running (pid $pid), health ${h:-unreachable} on http://127.0.0.1:$port"
			[[ "$h" == green || "$h" == yellow ]] || rc=1
			;;
		esac
		echo "  log: $(logfile "$name")"
	done
	return "$rc"
}

cmd_env() {
	local name
	for name in "${SERVICES[@]}"; do
		case "$name" in
		kafka) echo "export NEWSWIRE_TEST_KAFKA=127.0.0.1:$KAFKA_PORT" ;;
		es) echo "export NEWSWIRE_TEST_ES=http://127.0.0.1:$ES_PORT" ;;
		opensearch) echo "export NEWSWIRE_TEST_OPENSEARCH=http://127.0.0.1:$OS_PORT" ;;
		esac
	done
}

cmd="${1:-}"
(($# > 0)) && shift
case "$cmd" in
up | down | status | env) pick "$@" ;;
esac
case "$cmd" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $0 up|down|status|env [kafka|es|opensearch]..." >&2
	exit 2
	;;
esac
