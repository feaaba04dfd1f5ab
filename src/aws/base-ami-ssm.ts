/**
 * Base AMIs named by public SSM parameters, the way AWS documents finding the latest Windows AMI
 * (`/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base` holds the newest AMI id of that
 * family in each region). Every request of a region is answered by one GetParameters call (ten names a
 * call) and one DescribeImages call for the images' names and dates.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { ExternalServiceError, InputError, type Location } from '../errors.js';
import type { BaseAmi } from './base-ami.js';
import type { AwsClients } from './ec2-client.js';
import { imageRecord } from './schema.js';
import { readParameters } from './ssm-parameters.js';

export interface SsmBaseAmiRequest {
  /** The image set asking, for error messages. */
  image: string;
  region: string;
  parameter: string;
  /** Where the parameter is configured. */
  location?: Location;
}

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/** The base AMI of each request, in the requests' order. */
export async function findBaseAmisBySsm(
  clientsFor: (region: string) => Pick<AwsClients, 'ec2' | 'ssm'>,
  requests: SsmBaseAmiRequest[],
): Promise<BaseAmi[]> {
  const regions = [...new Set(requests.map((request) => request.region))];
  const found = new Map<string, BaseAmi>();
  await Promise.all(
    regions.map(async (region) => {
      const inRegion = requests.filter((request) => request.region === region);
      for (const [parameter, ami] of await lookUpRegion(clientsFor(region), region, inRegion)) {
        found.set(`${region} ${parameter}`, ami);
      }
    }),
  );
  return requests.map((request) => found.get(`${request.region} ${request.parameter}`) as BaseAmi);
}

/** Parameter name to base AMI for the requests of one region. */
async function lookUpRegion(
  clients: Pick<AwsClients, 'ec2' | 'ssm'>,
  region: string,
  requests: SsmBaseAmiRequest[],
): Promise<Map<string, BaseAmi>> {
  const { values, missing } = await readParameters(
    clients.ssm,
    requests.map((request) => request.parameter),
  );
  for (const request of requests) {
    const value = values.get(request.parameter);
    if (missing.includes(request.parameter) || value === undefined) {
      throw new InputError(
        `image ${request.image}: SSM parameter ${request.parameter} does not exist in ${region}`,
        request.location,
      );
    }
    if (!AMI_ID.test(value)) {
      throw new InputError(
        `image ${request.image}: SSM parameter ${request.parameter} in ${region} holds ${JSON.stringify(value.slice(0, 80))}, not an AMI id`,
        request.location,
      );
    }
  }
  const imageIds = [...new Set(values.values())];
  const { Images = [] } = await clients.ec2.send(new DescribeImagesCommand({ ImageIds: imageIds }));
  const described = new Map(Images.map((raw) => imageRecord(raw)).map((image) => [image.imageId, image]));
  const result = new Map<string, BaseAmi>();
  for (const [parameter, imageId] of values) {
    const image = described.get(imageId);
    if (!image) {
      throw new ExternalServiceError(
        'ec2',
        `${imageId}, named by ${parameter} in ${region}, cannot be described`,
      );
    }
    result.set(parameter, {
      region,
      imageId,
      name: image.name,
      creationDate: new Date(image.creationTime).toISOString(),
    });
  }
  return result;
}
