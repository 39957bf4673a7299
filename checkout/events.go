package checkout

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spcloud/spcloud/api"
)

var labels = map[string]string{
	api.EventSubscriptionCreated:    "Subscription created",
	api.EventTenantCreated:          "Tenant created",
	api.EventDatabaseCreated:        "Database created",
	api.EventSecretsStored:          "Secrets stored",
	api.EventVMProvisioningStarted:  "Starting the virtual machine",
	api.EventVMProvisioningProgress: "Starting the virtual machine",
	api.EventVMProvisioned:          "Virtual machine running",
	api.EventSecretsConfigured:      "Secrets configured",
	api.EventInfrastructureReady:    "Infrastructure ready",
	api.EventTenantReady:            "Tenant ready",
	api.EventProvisioningFailed:     "Provisioning failed",
}

// EventLabel is a short human label for an event type; an unknown type is
// shown with its underscores as spaces.
func EventLabel(eventType string) string {
	if l, ok := labels[eventType]; ok {
		return l
	}
	s := strings.TrimSpace(strings.ReplaceAll(eventType, "_", " "))
	if s == "" {
		return "Working"
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// describe is the line shown for an event: its message, else its label.
func describe(eventType string, message *string) string {
	if m := strings.TrimSpace(api.Str(message)); m != "" {
		return m
	}
	return EventLabel(eventType)
}
