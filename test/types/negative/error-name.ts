// expect TS2367: comparing errorName with a name ffnode never produces
import { FFmpegError } from 'ffnode';
export const isMissing = (e: FFmpegError): boolean => e.errorName === 'ENOFILE';
