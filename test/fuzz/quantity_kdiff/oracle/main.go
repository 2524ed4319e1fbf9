// Differential oracle: prints Kubernetes' canonical form and Value() for each input line (or ERR).
package main

import (
	"bufio"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/api/resource"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		s := sc.Text()
		q, err := resource.ParseQuantity(s)
		if err != nil {
			fmt.Printf("ERR\n")
			continue
		}
		c := resource.NewDecimalQuantity(*q.AsDec(), q.Format)
		fmt.Printf("%s %d\n", c.String(), q.Value())
	}
}
