/**
 * What CircleCI's API v2 answers to the calls the client makes, only the fields it uses
 * (circleci.com/docs/api/v2: "Trigger a new pipeline", "Trigger a new pipeline run", "Continue a pipeline",
 * "Get a pipeline by ID").
 */
import { z } from 'zod';

/** A pipeline parameter value: CircleCI accepts strings, integers and booleans. */
export const ParameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type PipelineParameterValue = z.infer<typeof ParameterValueSchema>;

/** `POST /project/{slug}/pipeline` and `.../pipeline/run` answer 201 with the new pipeline. */
export const PipelineCreationSchema = z.object({
  id: z.string().min(1),
  number: z.number().int(),
  state: z.string(),
  created_at: z.string(),
});
export type PipelineCreation = z.infer<typeof PipelineCreationSchema>;

/** `GET /pipeline/{id}`. */
export const PipelineSchema = z
  .object({
    id: z.string().min(1),
    number: z.number().int(),
    project_slug: z.string(),
    state: z.string(),
    created_at: z.string(),
    trigger_parameters: z.record(z.string(), z.unknown()).optional(),
    vcs: z.object({ branch: z.string().optional(), tag: z.string().optional() }).optional(),
  })
  .transform((p) => ({
    id: p.id,
    number: p.number,
    projectSlug: p.project_slug,
    state: p.state,
    createdAt: p.created_at,
    branch: p.vcs?.branch,
    tag: p.vcs?.tag,
    parameters: p.trigger_parameters ?? {},
  }));
export type Pipeline = z.output<typeof PipelineSchema>;

/** `POST /pipeline/continue` answers `{"message": "success"}`. */
export const MessageSchema = z.object({ message: z.string() });

/** Every error answer: `{"message": "..."}`. */
export const ErrorBodySchema = z.object({ message: z.string() });
