import { debuglog } from 'node:util'
import type { ApplicationService, EmitterService, LoggerService } from '@adonisjs/core/types'
import type { Database } from '@adonisjs/lucid/database'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { RedisOptions } from 'ioredis'
import { apiTokensFor, type ApiTokens } from './auth/api_tokens.js'
import { createExoAuth, type ExoAuthManager } from './auth/exo_auth.js'
import { LoginLimiter } from './auth/login_limiter.js'
import { AttemptLog } from './delivery/attempt_log.js'
import { DeliveryPlans } from './delivery/delivery_plan.js'
import { Deliverer } from './delivery/deliverer.js'
import { RateLimiter } from './delivery/rate_limiter.js'
import { EndpointStats } from './delivery/endpoint_stats.js'
import { OutcomeRecorder } from './outcome/outcome_recorder.js'
import { SubscriptionNotices } from './outcome/subscription_notices.js'
import { Sender } from './delivery/sender.js'
import { SlowLane } from './delivery/slow_lane.js'
import { FanOut } from './fan_out/fan_out.js'
import type { EventsFake } from './testing/events_fake.js'
import { importDefault } from './lazy_import.js'
import { LifecycleEvents } from './lifecycle_events.js'
import { Outbox } from './recording/outbox.js'
import { pruneOlderThan } from './upkeep/retention.js'
import { EventRecorder } from './recording/recorder.js'
import { Sweeper } from './upkeep/sweeper.js'
import { SubscriptionMatcher } from './fan_out/subscription_matcher.js'
import { appIdentity } from './queue/app_identity.js'
import { ForeignJobs } from './queue/foreign_jobs.js'
import { runJob } from './queue/job_handlers.js'
import {
  namespacedQueue,
  PipelineQueue,
  slowLaneOf,
  type RedisConnection,
} from './queue/pipeline_queue.js'
import { RunningWorkers, type WorkerSettings } from './queue/running_workers.js'
import { SubscriptionChangeListener } from './queue/subscription_changes.js'
import { ModelChanges, type EmitOptions } from './resources/model_changes.js'
import { PayloadSchemas } from './resources/payload_schemas.js'
import { ResourceRegistry } from './resources/registry.js'
import { eventCatalog, type EventType } from './resources/event_catalog.js'
import { IdempotentCreates } from './subscriptions/idempotent_creates.js'
import { SubscriptionService } from './subscriptions/subscription_service.js'
import type { EventName, ResolvedExoConfig, Trigger } from './types.js'
import type { Framework } from './framework/framework.js'
import { systemClock, type Clock } from './clock.js'
import { pipelineMetrics } from './telemetry/metrics.js'
import { E_INVALID_CONFIG, E_UNKNOWN_QUEUE } from './errors.js'

const debug = debuglog('adonis-exo')

/**
 * How long a stopping worker waits on the attempts under way before it
 * stops them and logs them as interrupted: within the 10 s that process
 * managers give between SIGTERM and SIGKILL, with time left to log them.
 */
const SHUTDOWN_GRACE_MS = 6000

/**
 * The package's entry point, one per app: the resource registry and the
 * pipeline from a model's change to an attempt's outcome.
 */
export class Exo {
  readonly registry: ResourceRegistry
  readonly outbox: Outbox
  readonly queue: PipelineQueue
  readonly recorder: EventRecorder
  readonly fanOut: FanOut
  readonly deliverer: Deliverer
  readonly sender: Sender
  readonly slowLane: SlowLane
  readonly sweeper: Sweeper
  readonly stats: EndpointStats
  readonly workers = new RunningWorkers()
  readonly foreignJobs: ForeignJobs
  readonly subscriptions: SubscriptionService
  readonly idempotentCreates: IdempotentCreates
  readonly auth: ExoAuthManager
  readonly plans: DeliveryPlans
  readonly changes: ModelChanges
  #tokens?: Promise<ApiTokens>
  #eventTypes?: Promise<EventType[]>
  #loginLimiter?: LoginLimiter
  #rateLimiter: RateLimiter
  #db: Database
  #redis: RedisConnection
  #workerOptions: WorkerSettings
  #logger: LoggerService
  #changes: SubscriptionChangeListener
  #stopObservingAttempts: () => void

  constructor(
    readonly config: ResolvedExoConfig,
    db: Database,
    redis: RedisConnection,
    environment: string,
    emitter: EmitterService,
    app: ApplicationService,
    logger: LoggerService,
    identity: string,
    workerOptions: WorkerSettings = {},
    private clock: Clock = systemClock
  ) {
    const notices = new SubscriptionNotices(app, config)
    const events = new LifecycleEvents(emitter, logger)
    this.#db = db
    this.#redis = redis
    this.#workerOptions = workerOptions
    this.#logger = logger
    this.queue = new PipelineQueue(redis, { name: config.namespace, identity })
    this.#changes = new SubscriptionChangeListener(redis as RedisOptions, this.queue.changesChannel)
    this.foreignJobs = new ForeignJobs(identity, (message) => logger.warn(message))
    const attempts = new AttemptLog(clock)
    this.#stopObservingAttempts = pipelineMetrics.observeWaitingAttempts(() =>
      attempts.countPending(db.connection())
    )

    this.registry = new ResourceRegistry(config.resources)
    this.plans = new DeliveryPlans(this.registry, config)
    const planFor = this.plans.for
    this.outbox = new Outbox(db, clock)
    this.sender = new Sender(
      config.delivery.timeout,
      config.delivery.allowPrivateNetworks,
      config.delivery.lookup,
      config.delivery.proxy
    )
    this.slowLane = new SlowLane(db, attempts, this.queue, planFor, logger, config.delivery.timeout)
    this.recorder = new EventRecorder(this.outbox, this.queue, events)
    const schemas = new PayloadSchemas(app.inTest, (message) => logger.warn(message))
    this.changes = new ModelChanges(this.registry, planFor, this.recorder, schemas, environment)
    this.stats = new EndpointStats(db, clock)
    this.sweeper = new Sweeper(
      db,
      this.outbox,
      this.queue,
      this.plans.queueOf,
      {
        eventGrace: 30_000,
        attemptGrace: 60_000,
        batchSize: 500,
      },
      clock
    )
    this.#rateLimiter = new RateLimiter(
      redis as RedisOptions,
      `exo:${config.namespace}:rate`,
      db,
      attempts,
      this.queue,
      planFor
    )
    this.deliverer = new Deliverer(
      db,
      attempts,
      this.outbox,
      config.delivery.signer,
      this.sender,
      new OutcomeRecorder(
        db,
        attempts,
        this.queue,
        {
          autoDisableAfter: config.delivery.autoDisableAfter,
          onDeactivated: () => this.subscriptionsChanged(),
          onDisabled: (id, reason) => notices.disabled(id, reason),
          onFailing: (id, failureCount) => notices.failing(id, failureCount),
        },
        events,
        clock
      ),
      planFor,
      this.#rateLimiter,
      this.slowLane
    )
    this.fanOut = new FanOut(
      db,
      this.outbox,
      new SubscriptionMatcher(config, () => this.#changes.generation()),
      attempts,
      this.queue,
      planFor
    )
    this.subscriptions = new SubscriptionService(
      config,
      db,
      this.registry,
      this.outbox,
      attempts,
      this.queue,
      this.deliverer,
      this.plans.queueOf,
      environment
    )
    this.idempotentCreates = new IdempotentCreates(db, clock)
    this.auth = createExoAuth(
      emitter,
      () => this.userModel(),
      () => this.tokens()
    )
  }

  static async create(app: ApplicationService, config: ResolvedExoConfig, framework: Framework) {
    const db = await app.container.make('lucid.db')
    // AdonisJS 6 apps share bull-queue's config/queue.ts; AdonisJS 7 has no bull-queue
    const queueConfig = app.config.get<
      { defaultConnection?: RedisConnection; worker?: WorkerSettings } | undefined
    >('queue', undefined)
    const redis = (config.redis as RedisConnection | undefined) ?? queueConfig?.defaultConnection
    if (!redis) {
      throw new E_INVALID_CONFIG([
        'redis',
        'is required: set "redis" in config/exo.ts (or "defaultConnection" in the config/queue.ts of @rlanz/bull-queue)',
      ])
    }
    const emitter = await app.container.make('emitter')
    const logger = await app.container.make('logger')
    return new Exo(
      config,
      db,
      redis,
      app.nodeEnvironment,
      emitter,
      app,
      logger,
      appIdentity(framework.secrets),
      (config.worker as WorkerSettings | undefined) ?? queueConfig?.worker
    )
  }

  /**
   * Tells every worker's subscription matching that subscriptions changed.
   * Saving or deleting a `WebhookSubscription` calls it once committed; call
   * it after writing `exo_subscriptions` with raw queries, whose changes are
   * otherwise matched within a second. It does not throw: when Redis is
   * away the change is matched within a second all the same.
   */
  async subscriptionsChanged() {
    this.#changes.changedHere()
    await this.queue.announceSubscriptionsChanged(this.config.queue).catch((error) => {
      debug('announcing a subscription change failed: %s', error.message)
    })
  }

  /**
   * The configured user model.
   */
  userModel() {
    return importDefault(this.config.userModel)
  }

  /**
   * The API tokens of the configured user model.
   */
  tokens(): Promise<ApiTokens> {
    this.#tokens ??= apiTokensFor(this.config)
    return this.#tokens
  }

  /**
   * Failed dashboard sign-ins, counted in the queue's Redis; connected on
   * first use, so workers never open it.
   */
  get loginLimiter(): LoginLimiter {
    this.#loginLimiter ??= new LoginLimiter(
      this.#redis as RedisOptions,
      `exo:${this.config.namespace}:login`
    )
    return this.#loginLimiter
  }

  /**
   * The app's queues, the configured one first, then each resource's
   * `webhookQueue`.
   */
  async queues(): Promise<string[]> {
    const resources = await this.registry.all()
    const queues = [...resources.values()].map(
      (resource) => resource.model.webhookQueue ?? this.config.queue
    )
    return [...new Set([this.config.queue, ...queues])]
  }

  /**
   * The app's queues as Redis names them, then their slow lanes: what
   * `node ace queue:listen --queue=` takes to run this app's jobs.
   */
  async queueNames(): Promise<string[]> {
    return this.#redisNames(await this.queues())
  }

  /** Queues as Redis names them, each followed, after them all, by its slow lane */
  #redisNames(queues: string[]) {
    return [...queues, ...queues.map(slowLaneOf)].map((queue) =>
      namespacedQueue(this.config.namespace, queue)
    )
  }

  /**
   * Starts workers on the app's queues (or on `only` of them) and their slow
   * lanes in this process (`node ace exo:work`), `concurrency` jobs at once
   * on each, and the sweeper; they stop when the app terminates. Resolves
   * with the queues, as Redis names them, once the workers listen.
   */
  async work(options: { concurrency?: number; only?: string[] } = {}): Promise<string[]> {
    const known = await this.queues()
    const unknown = options.only?.filter((queue) => !known.includes(queue)) ?? []
    if (unknown.length > 0) {
      throw new E_UNKNOWN_QUEUE([unknown.join(', '), known.join(', ')])
    }
    const queues = this.#redisNames(options.only ?? known)
    await this.workers.start(
      queues,
      (job) => runJob(this, job),
      {
        ...this.#workerOptions,
        connection: this.#redis,
        concurrency: options.concurrency ?? this.#workerOptions.concurrency ?? 20,
      },
      (error) => this.#logger.error(`adonis-exo worker: ${error.message}`)
    )
    this.sweeper.start(this.config.queue, 15_000)
    return queues
  }

  /**
   * Closes this process's workers, the attempts under way finishing first.
   */
  async stopWorkers() {
    if (this.workers.count === 0) return
    this.#logger.info('adonis-exo is stopping its workers: the attempts under way finish first')
    const cutShort = setTimeout(() => this.sender.interrupt(), SHUTDOWN_GRACE_MS)
    await this.workers.close()
    clearTimeout(cutShort)
  }

  /**
   * The catalog: every trigger and domain event of every resource, with
   * its schema and an example payload, built once.
   */
  eventTypes(): Promise<EventType[]> {
    this.#eventTypes ??= this.registry.all().then((resources) => eventCatalog(resources.values()))
    return this.#eventTypes
  }

  /**
   * The queue a resource's events and attempts go through.
   */
  queueFor(resourceName: string): Promise<string> {
    return this.plans.queueOf(resourceName)
  }

  /**
   * Called by the Webhookable hooks on every save and delete.
   */
  record(row: LucidRow, trigger: Trigger): void | Promise<void> {
    return this.changes.record(row, trigger)
  }

  /**
   * Records the domain event `name` of `record`, declared in its model's
   * `webhookEvents`, with `data` (by default the record's payload). Made in
   * a transaction (the record's, or `options.client`), it is sent after
   * the commit and never after a rollback; otherwise it is durable once
   * this resolves.
   */
  emit(record: LucidRow, name: EventName, data?: unknown, options?: EmitOptions): Promise<void> {
    return this.changes.emit(record, name, data, options)
  }

  /**
   * For the app's tests: from now on the models' events are kept by the
   * returned fake, for its assertions, instead of being recorded and sent.
   * Each call starts a fresh fake.
   */
  fake(): EventsFake {
    return this.changes.fake()
  }

  /**
   * Records and sends events again after `fake()`.
   */
  restore() {
    this.changes.restore()
  }

  /**
   * Deletes deliveries and events older than `retention`.
   */
  prune(now = this.clock.now()) {
    return pruneOlderThan(this.#db, this.config.retention, now)
  }

  async close() {
    this.#stopObservingAttempts()
    this.sweeper.stop()
    await this.recorder.close()
    await this.queue.close()
    await this.#loginLimiter?.close()
    await this.#rateLimiter.close()
    await this.sender.close()
    await this.#changes.close()
  }
}
