// Package e2e is podtune's end-to-end tier: a real kube-apiserver and etcd
// on loopback call the real podtune binary as a mutating admission webhook.
// Run it through test/e2e/run; see README.md.
package e2e
