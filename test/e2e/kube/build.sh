#!/usr/bin/env bash
# Builds kube-apiserver and etcd from this module into DEST (default
# ~/.cache/podtune-e2e/<k8s-version>/) unless both are already there, and
# helm (pinned below, used only to render charts/podtune) into
# ~/.cache/podtune-e2e/helm-<version>/. Prints the wall time of a build that
# actually ran.
set -euo pipefail
cd "$(dirname "$0")"
kver=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' go.mod)
etcdver=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' go.mod)
dest=${1:-${PODTUNE_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/podtune-e2e}/$kver}
helmver=v3.21.4
hdest=$(dirname "$dest")/helm-$helmver
if [[ ! -x $hdest/helm ]]; then
  # go install pkg@version: helm's own go.mod and go.sum, checked against the
  # checksum database. Optional: without helm the chart test is skipped.
  hstart=$(date +%s)
  if (cd / && CGO_ENABLED=0 GOBIN=$hdest go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$helmver"); then
    echo "e2e: built helm $helmver in $(( $(date +%s) - hstart ))s" >&2
  else
    echo "e2e: warning: could not build helm $helmver; the chart test will be skipped" >&2
  fi
fi
if [[ -x $dest/kube-apiserver && -x $dest/etcd && -f $dest/.complete ]]; then
  echo "e2e: using cached kube-apiserver $kver and etcd $etcdver from $dest" >&2
  exit 0
fi
mkdir -p "$dest"
echo "e2e: building kube-apiserver $kver and etcd $etcdver into $dest (cold: takes a while)" >&2
start=$(date +%s)
# -mod=mod: go.sum is committed, but let go fill in anything a newer toolchain wants.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" CGO_ENABLED=0
minor=${kver#v1.}; minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
tmp=$(mktemp -d "$dest/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -trimpath -ldflags "$ldflags" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
mv "$tmp/kube-apiserver" "$tmp/etcd" "$dest/"
echo "$kver etcd=$etcdver built=$(date -u +%FT%TZ)" > "$dest/.complete"
end=$(date +%s)
echo "e2e: cold build of kube-apiserver + etcd took $((end - start))s" >&2
