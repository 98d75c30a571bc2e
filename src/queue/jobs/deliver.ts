// The module bull-queue's workers import for a delivery job (see bull_queue_job.ts)
export { default } from '../bull_queue_job.js'
