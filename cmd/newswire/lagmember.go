package main

import (
	"strings"

	"github.com/newswire/newswire/consumers"
)

// memberColumns are the HOST and MEMBER columns of `newswire lag` for one
// partition: the owner's host and member id (Kafka member ids start with
// the client id), or "-" when no member owns it.
func memberColumns(l consumers.PartitionLag) string {
	if l.MemberID == "" {
		return "-\t-"
	}
	return strings.TrimPrefix(l.Host, "/") + "\t" + l.MemberID
}
