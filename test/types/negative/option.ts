// expect TS2561: misspelt option (TypeScript suggests segmentDuration)
import { transcode } from 'ffnode';
transcode('in.mp4', { out: 'vod', segmentDurations: 4 });
