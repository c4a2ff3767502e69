# Sourced by the project's commands: finds a JDK >= 25 and exports JAVA_HOME, or stops with a message.
sdp_jdk_version() {
  local release="$1/release" v
  [ -x "$1/bin/javac" ] || return 1
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  [ -n "$v" ] && echo "$v"
}

sdp_find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -d "$c" ] || continue
    v=$(sdp_jdk_version "$c") || continue
    if [ "$v" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "error: SDP needs a JDK 25 or newer. Set JAVA_HOME to one, or install one under /usr/lib/jvm" >&2
  echo "       (for example Eclipse Temurin 25: /usr/lib/jvm/temurin-25-jdk-amd64)." >&2
  exit 1
}

# An installed mvn (Debian's maven) comes first; without one, the project's Maven wrapper (./mvnw),
# which fetches the Maven pinned in .mvn/wrapper/ from Maven Central once, stands in for `mvn`.
sdp_find_maven() {
  local shims
  command -v mvn >/dev/null 2>&1 && return 0
  shims="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.mvn/wrapper/bin"
  if [ -x "$shims/mvn" ]; then
    export PATH="$shims:$PATH"
    return 0
  fi
  echo "error: Maven (mvn) is not installed; on Debian: apt-get install maven" >&2
  exit 1
}
