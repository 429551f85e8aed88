/** Types for native-dns-packet 0.1.1 (the package ships none). Only what ddns uses. */
declare module 'native-dns-packet' {
  export interface Header {
    id: number;
    qr: number;
    opcode: number;
    aa: number;
    tc: number;
    rd: number;
    ra: number;
    res1: number;
    res2: number;
    res3: number;
    rcode: number;
  }
  export interface Question {
    name: string;
    type: number;
    class: number;
  }
  export interface ResourceRecord {
    name: string;
    type: number;
    class: number;
    ttl: number;
    address?: string;
    data?: string[] | Buffer;
    exchange?: string;
    priority?: number;
    weight?: number;
    port?: number;
    target?: string;
    primary?: string;
    admin?: string;
    serial?: number;
    refresh?: number;
    retry?: number;
    expiration?: number;
    minimum?: number;
    options?: { code: number; data: Buffer }[];
    [key: string]: unknown;
  }
  class Packet {
    header: Header;
    question: Question[];
    answer: ResourceRecord[];
    authority: ResourceRecord[];
    additional: ResourceRecord[];
    edns_options: { code: number; data: Buffer }[];
    edns?: ResourceRecord;
    edns_version?: number;
    payload?: number;
    static parse(msg: Buffer): Packet;
    /** returns the number of bytes written */
    static write(buff: Buffer, packet: Packet): number;
  }
  export default Packet;
  export const consts: {
    NAME_TO_QTYPE: Record<string, number>;
    QTYPE_TO_NAME: Record<number, string>;
    NAME_TO_RCODE: Record<string, number>;
    NAME_TO_QCLASS: Record<string, number>;
  };
}
