package api

// The wire types of the systemprompt.io Cloud API (CONTRACT §4). Field names
// are the contract's exactly; optional fields are pointers or omitempty so
// that what the client sends and the emulator answers match the service.

// User is the person behind a token.
type User struct {
	ID    string  `json:"id"`
	Email string  `json:"email"`
	Name  *string `json:"name,omitempty"`
}

// Customer is the billing customer of a user.
type Customer struct {
	ID     string  `json:"id"`
	Status *string `json:"status,omitempty"`
}

// UserMeResponse answers GET /api/v1/auth/me.
type UserMeResponse struct {
	User     User         `json:"user"`
	Customer *Customer    `json:"customer,omitempty"`
	Tenants  []TenantInfo `json:"tenants"`
}

// TenantPlan is the plan a tenant runs on.
type TenantPlan struct {
	ID       *string `json:"id,omitempty"`
	Name     string  `json:"name"`
	MemoryMB int     `json:"memory_mb"`
	VolumeGB int     `json:"volume_gb"`
}

// Subscription statuses of a TenantInfo.
const (
	SubscriptionActive   = "active"
	SubscriptionTrialing = "trialing"
	SubscriptionPastDue  = "past_due"
	SubscriptionPaused   = "paused"
	SubscriptionCanceled = "canceled"
)

// Tenant statuses of a TenantInfo.
const (
	TenantPending   = "pending"
	TenantActive    = "active"
	TenantSuspended = "suspended"
	TenantDeleted   = "deleted"
)

// TenantInfo is a tenant as /auth/me describes it.
type TenantInfo struct {
	ID                 string      `json:"id"`
	Name               string      `json:"name"`
	SubscriptionID     *string     `json:"subscription_id,omitempty"`
	SubscriptionStatus *string     `json:"subscription_status,omitempty"`
	AppID              *string     `json:"app_id,omitempty"`
	Hostname           *string     `json:"hostname,omitempty"`
	Region             *string     `json:"region,omitempty"`
	Status             *string     `json:"status,omitempty"`
	Plan               *TenantPlan `json:"plan,omitempty"`
	ExternalDBAccess   bool        `json:"external_db_access"`
	DatabaseURL        string      `json:"database_url"`
}

// Tenant is an item of GET /api/v1/tenants.
type Tenant struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	FlyAppName  *string `json:"fly_app_name,omitempty"`
	FlyHostname *string `json:"fly_hostname,omitempty"`
	Hostname    *string `json:"hostname,omitempty"`
}

// Plan is a subscription plan from GET /api/v1/checkout/plans.
type Plan struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	PaddlePriceID   string `json:"paddle_price_id"`
	MemoryMBDefault int    `json:"memory_mb_default"`
	VolumeGB        int    `json:"volume_gb"`
	MaxTenants      *int   `json:"max_tenants,omitempty"`
}

// CheckoutRequest is the body of POST /api/v1/checkout.
type CheckoutRequest struct {
	PriceID     string `json:"price_id"`
	Region      string `json:"region"`
	RedirectURI string `json:"redirect_uri,omitempty"`
}

// CheckoutResponse answers POST /api/v1/checkout.
type CheckoutResponse struct {
	CheckoutURL       string `json:"checkout_url"`
	TransactionID     string `json:"transaction_id"`
	CheckoutSessionID string `json:"checkout_session_id"`
}

// Terminal values of TenantStatus.Status; anything else means still working.
const (
	StatusReady  = "ready"
	StatusFailed = "failed"
)

// TenantStatus answers GET /api/v1/tenants/{id}/status (in the envelope).
type TenantStatus struct {
	Status     string  `json:"status"`
	Message    *string `json:"message,omitempty"`
	AppURL     *string `json:"app_url,omitempty"`
	SecretsURL *string `json:"secrets_url,omitempty"`
}

// TenantSecrets answers the tenant's secrets_url.
type TenantSecrets struct {
	JWTSecret       string  `json:"jwt_secret"`
	DatabaseURL     string  `json:"database_url"`
	AppURL          string  `json:"app_url"`
	SyncToken       *string `json:"sync_token,omitempty"`
	AnthropicAPIKey *string `json:"anthropic_api_key,omitempty"`
	OpenAIAPIKey    *string `json:"openai_api_key,omitempty"`
	GeminiAPIKey    *string `json:"gemini_api_key,omitempty"`
}

// RegistryToken answers GET /api/v1/tenants/{id}/registry-token.
type RegistryToken struct {
	Registry   string `json:"registry"`
	Username   string `json:"username"`
	Token      string `json:"token"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

// DeployRequest is the body of POST /api/v1/tenants/{id}/deploy.
type DeployRequest struct {
	Image string `json:"image"`
}

// DeployResponse answers a deploy.
type DeployResponse struct {
	Status string  `json:"status"`
	AppURL *string `json:"app_url,omitempty"`
}

// StatusResponse answers restart and retry-provision.
type StatusResponse struct {
	Status string `json:"status"`
}

// SecretKeys answers GET /api/v1/tenants/{id}/secrets.
type SecretKeys struct {
	Keys []string `json:"keys"`
}

// SetSecretsRequest is the body of PUT /api/v1/tenants/{id}/secrets.
type SetSecretsRequest struct {
	Secrets map[string]string `json:"secrets"`
}

// ExternalDBAccessRequest is the body of PUT .../external-db-access.
type ExternalDBAccessRequest struct {
	Enabled bool `json:"enabled"`
}

// ExternalDBAccessResponse answers PUT .../external-db-access.
type ExternalDBAccessResponse struct {
	TenantID         string `json:"tenant_id"`
	ExternalDBAccess bool   `json:"external_db_access"`
	DatabaseURL      string `json:"database_url"`
}

// RotateCredentialsResponse answers POST .../rotate-credentials.
type RotateCredentialsResponse struct {
	Status      string `json:"status"`
	Message     string `json:"message"`
	DatabaseURL string `json:"database_url"`
}

// RotateSyncTokenResponse answers POST .../rotate-sync-token.
type RotateSyncTokenResponse struct {
	Status    string `json:"status"`
	SyncToken string `json:"sync_token"`
}

// CustomDomainRequest is the body of POST .../custom-domain.
type CustomDomainRequest struct {
	Domain string `json:"domain"`
}

// DNSInstructions says which DNS record to create for a custom domain.
type DNSInstructions struct {
	RecordType string `json:"record_type"`
	Host       string `json:"host"`
	Value      string `json:"value"`
	TTL        int    `json:"ttl"`
}

// CustomDomainResponse describes a tenant's custom domain.
type CustomDomainResponse struct {
	Domain          string          `json:"domain"`
	Status          string          `json:"status"`
	Verified        bool            `json:"verified"`
	DNSTarget       string          `json:"dns_target"`
	DNSInstructions DNSInstructions `json:"dns_instructions"`
	CreatedAt       *string         `json:"created_at,omitempty"`
	VerifiedAt      *string         `json:"verified_at,omitempty"`
}

// OAuthStartResponse answers the OAuth start endpoint.
type OAuthStartResponse struct {
	AuthorizeURL string `json:"authorize_url"`
}

// ErrorBody is the error envelope's inner object.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorEnvelope is the body of every non-2xx answer.
type ErrorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// Envelope wraps the responses that §3 marks "env".
type Envelope[T any] struct {
	Data T `json:"data"`
}

// Event types, in the order a healthy provisioning emits them.
const (
	EventSubscriptionCreated    = "subscription_created"
	EventTenantCreated          = "tenant_created"
	EventDatabaseCreated        = "database_created"
	EventSecretsStored          = "secrets_stored"
	EventVMProvisioningStarted  = "vm_provisioning_started"
	EventVMProvisioningProgress = "vm_provisioning_progress"
	EventVMProvisioned          = "vm_provisioned"
	EventSecretsConfigured      = "secrets_configured"
	EventInfrastructureReady    = "infrastructure_ready"
	EventTenantReady            = "tenant_ready"
	EventProvisioningFailed     = "provisioning_failed"
)

// ProvisioningEvent is an event of a tenant's stream.
type ProvisioningEvent struct {
	TenantID   string  `json:"tenant_id"`
	EventType  string  `json:"event_type"`
	Status     string  `json:"status"`
	Message    *string `json:"message,omitempty"`
	AppURL     *string `json:"app_url,omitempty"`
	FlyAppName *string `json:"fly_app_name,omitempty"`
}

// CheckoutEvent is an event of a checkout's stream.
type CheckoutEvent struct {
	CheckoutSessionID string  `json:"checkout_session_id"`
	TenantID          string  `json:"tenant_id"`
	TenantName        string  `json:"tenant_name"`
	EventType         string  `json:"event_type"`
	Status            string  `json:"status"`
	Message           *string `json:"message,omitempty"`
	AppURL            *string `json:"app_url,omitempty"`
	FlyAppName        *string `json:"fly_app_name,omitempty"`
}

// Str returns *p, or "" when p is nil. It reads optional fields.
func Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Ptr returns a pointer to v. It fills optional fields.
func Ptr[T any](v T) *T { return &v }
