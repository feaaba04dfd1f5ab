/**
 * The parts of EC2 answers the AMI modules rely on, checked and turned into our own shapes. The SDK's
 * types mark nearly every field optional; these schemas say which ones must be there.
 */
import type { Image, Instance } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { ExternalServiceError } from '../errors.js';
import { fromTags, type ImageTags } from './image-tags.js';

const TagsSchema = z
  .array(z.object({ Key: z.string().optional(), Value: z.string().optional() }))
  .optional()
  .default([]);

const ImageRecordSchema = z
  .object({
    ImageId: z.string().startsWith('ami-'),
    Name: z.string(),
    CreationDate: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date'),
    State: z.string().optional(),
    OwnerId: z.string().optional(),
    LastLaunchedTime: z.string().optional(),
    DeprecationTime: z.string().optional(),
    DeregistrationProtection: z.string().optional(),
    Tags: TagsSchema,
    BlockDeviceMappings: z
      .array(z.object({ Ebs: z.object({ SnapshotId: z.string().optional() }).optional() }))
      .optional()
      .default([]),
  })
  .transform((image) => ({
    imageId: image.ImageId,
    name: image.Name,
    creationTime: Date.parse(image.CreationDate),
    state: image.State ?? 'unknown',
    ownerId: image.OwnerId,
    lastLaunchedTime: image.LastLaunchedTime ? Date.parse(image.LastLaunchedTime) : undefined,
    deprecationTime: image.DeprecationTime ? Date.parse(image.DeprecationTime) : undefined,
    /** `enabled-with-cooldown`, `enabled-without-cooldown`, `disabled`, or `disabled-until <time>`. */
    deregistrationProtection: image.DeregistrationProtection ?? 'disabled',
    tags: fromTags(image.Tags) as ImageTags,
    tagMap: Object.fromEntries(image.Tags.map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    snapshotIds: image.BlockDeviceMappings.flatMap((mapping) =>
      mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : [],
    ),
  }));

/** An AMI as the AMI modules use it. */
export type ImageRecord = z.output<typeof ImageRecordSchema>;

const InstanceRecordSchema = z
  .object({
    InstanceId: z.string().startsWith('i-'),
    ImageId: z.string().optional(),
    LaunchTime: z.date(),
    State: z.object({ Name: z.string() }),
    Tags: TagsSchema,
  })
  .transform((instance) => ({
    instanceId: instance.InstanceId,
    imageId: instance.ImageId,
    launchTime: instance.LaunchTime.getTime(),
    state: instance.State.Name,
    tagMap: Object.fromEntries(instance.Tags.map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
  }));

/** An EC2 instance as the AMI modules use it. */
export type InstanceRecord = z.output<typeof InstanceRecordSchema>;

/** Checks one DescribeImages entry; an answer without what we rely on is the service's fault. */
export function imageRecord(image: Image): ImageRecord {
  return checked('DescribeImages', ImageRecordSchema, image);
}

/** Checks one DescribeInstances entry. */
export function instanceRecord(instance: Instance): InstanceRecord {
  return checked('DescribeInstances', InstanceRecordSchema, instance);
}

function checked<S extends z.ZodType>(action: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ExternalServiceError('ec2', `unexpected ${action} answer: ${z.prettifyError(result.error)}`);
}
