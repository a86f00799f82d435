import { randomUUID } from 'node:crypto';
import type { IngestEvent, IngestStage } from './ingest.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** What a client polling a job sees. */
export interface JobView<R = unknown> {
  id: string;
  status: JobStatus;
  /** The stage running now, and how far each stage has come. */
  stage: IngestStage | null;
  progress: Partial<Record<IngestStage, { done: number; total: number; unit: string; records?: number }>>;
  /** Stage starts, files done, warnings and notes, in order (progress ticks are summed up in `progress`). */
  events: { at: string; type: string; stage?: IngestStage; message?: string }[];
  result: R | null;
  error: { status: number; message: string } | null;
  createdAt: string;
  finishedAt: string | null;
}

const KEPT_JOBS = 200;
const KEPT_EVENTS = 100;

/**
 * Jobs of the running server (uploads being ingested), each visible to the organisation that
 * started it only. Kept in memory: a job ends with the server, the evidence it wrote does not,
 * and uploading the same file again resumes or answers "already ingested".
 */
export class Jobs {
  private readonly jobs = new Map<string, { orgId: string; view: JobView }>();

  start<R>(orgId: string, work: (emit: (e: IngestEvent) => void) => Promise<R>, toError: (e: Error) => { status: number; message: string }): { id: string; done: Promise<JobView<R>> } {
    const view: JobView<R> = { id: randomUUID(), status: 'queued', stage: null, progress: {}, events: [], result: null, error: null, createdAt: new Date().toISOString(), finishedAt: null };
    this.jobs.set(view.id, { orgId, view });
    this.forgetOld();
    const emit = (e: IngestEvent) => {
      view.status = 'running';
      const at = new Date().toISOString();
      if (e.type === 'progress') view.progress[e.stage] = { done: e.done, total: e.total, unit: e.unit, ...(e.records === undefined ? {} : { records: e.records }) };
      else if (e.type === 'stage') {
        view.stage = e.stage;
        view.events.push({ at, type: 'stage', stage: e.stage });
      } else if (e.type === 'warning' || e.type === 'note') view.events.push({ at, type: e.type, message: e.message });
      else if (e.type === 'published') view.events.push({ at, type: 'note', message: `ClickHouse snapshot ${e.report.snapshot} ${e.report.written ? 'published' : 'already published'}` });
      else view.events.push({ at, type: 'file', message: `${e.report.status}: ${e.report.kept} kept, ${e.report.duplicates} already known, ${e.report.quarantined} quarantined` });
      if (view.events.length > KEPT_EVENTS) view.events.splice(0, view.events.length - KEPT_EVENTS);
    };
    const done = work(emit).then(
      (result) => {
        Object.assign(view, { status: 'done', stage: null, result, finishedAt: new Date().toISOString() });
        return view;
      },
      (e: Error) => {
        Object.assign(view, { status: 'failed', stage: null, error: toError(e), finishedAt: new Date().toISOString() });
        return view;
      },
    );
    return { id: view.id, done };
  }

  /** The job, if the organisation started it (another organisation's job does not exist for it). */
  get(orgId: string, id: string): JobView | null {
    const job = this.jobs.get(id);
    return job && job.orgId === orgId ? job.view : null;
  }

  private forgetOld(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= KEPT_JOBS) return;
      if (job.view.finishedAt) this.jobs.delete(id);
    }
  }
}
