package e2e

// Reading the apiserver's audit log: what it says about the webhook calls.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	ObjectRef struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	Annotations map[string]string `json:"annotations"`
}

// webhookCall is one "mutation.webhook.admission.k8s.io/round_R_index_I"
// annotation.
type webhookCall struct {
	Key           string
	Configuration string `json:"configuration"`
	Webhook       string `json:"webhook"`
	Mutated       bool   `json:"mutated"`
}

// auditFor waits for the ResponseComplete event of the create of ns/name.
func auditFor(ns, name string) (*auditEvent, error) {
	var found *auditEvent
	err := waitFor("audit event for "+ns+"/"+name, nil, 10*time.Second, func() error {
		f, err := os.Open(filepath.Join(workDir, "audit.log"))
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), `"`+name+`"`) {
				continue
			}
			var ev auditEvent
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			if ev.Stage == "ResponseComplete" && ev.Verb == "create" && ev.ObjectRef.Namespace == ns && ev.ObjectRef.Name == name {
				e := ev
				found = &e
			}
		}
		if found == nil {
			return fmt.Errorf("not in audit.log yet")
		}
		return nil
	})
	return found, err
}

// calls lists the webhook calls the apiserver recorded, in key order
// (round_0_index_0, round_0_index_1, round_1_index_0, ...).
func (ev *auditEvent) calls() []webhookCall {
	var out []webhookCall
	for k, v := range ev.Annotations {
		if !strings.HasPrefix(k, "mutation.webhook.admission.k8s.io/") {
			continue
		}
		var c webhookCall
		if json.Unmarshal([]byte(v), &c) == nil {
			c.Key = strings.TrimPrefix(k, "mutation.webhook.admission.k8s.io/")
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (ev *auditEvent) callsString() string {
	var s []string
	for _, c := range ev.calls() {
		s = append(s, fmt.Sprintf("%s:%s(mutated=%v)", c.Key, c.Webhook, c.Mutated))
	}
	return strings.Join(s, " ")
}
