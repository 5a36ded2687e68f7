// The audit log: hash-chained, append-only rows of who did what to what, from where.
export { AUDIT_ACTIONS, isAuditAction, type AuditAction } from './actions.js';
export { appendAudit, createAudit, createLocalAudit, type Audit, type AuditContext, type AuditEntry, type AuditListOptions, type AuditOptions, type LocalAudit } from './audit.js';
export { canonicalJson, rowHash, verifyChain, type AuditHead, type AuditRow, type ChainProblem, type ChainVerdict } from './chain.js';
export { auditMigrations, GENESIS_HASH } from './schema.js';
