/** The AWS clients of each region for the `ami` commands, configured from the environment. */
import { awsClientsPerRegion } from '../../aws/ec2-client.js';

/** A function from region to that region's EC2 client; clients are built once per region. */
export function ec2PerRegion() {
  const clients = awsClientsPerRegion({ env: process.env });
  return (region: string) => clients(region).ec2;
}

/** A function from region to that region's EC2 and SSM clients. */
export function clientsPerRegion() {
  return awsClientsPerRegion({ env: process.env });
}
