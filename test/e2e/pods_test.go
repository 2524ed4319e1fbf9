package e2e

// Pods shaped as Spark 3.5 and Flink 1.18 native Kubernetes make them.

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func q(s string) resource.Quantity { return resource.MustParse(s) }

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
}

// sparkDriver is a driver pod as spark-submit --deploy-mode cluster makes it.
func sparkDriver(name, app string, labels, annotations map[string]string) *corev1.Pod {
	l := map[string]string{
		"spark-app-selector": "spark-" + app,
		"spark-app-name":     app,
		"spark-role":         "driver",
		"spark-version":      "3.5.1",
	}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, Annotations: annotations},
		Spec: corev1.PodSpec{
			ServiceAccountName: "spark",
			RestartPolicy:      corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:  "spark-kubernetes-driver",
				Image: "apache/spark:3.5.1",
				Args: []string{"driver", "--properties-file", "/opt/spark/conf/spark.properties",
					"--class", "org.example.NightlyEtl", "local:///opt/app/etl.jar", "--date", "2024-06-01"},
				Ports: []corev1.ContainerPort{
					{Name: "driver-rpc-port", ContainerPort: 7078, Protocol: corev1.ProtocolTCP},
					{Name: "blockmanager", ContainerPort: 7079, Protocol: corev1.ProtocolTCP},
					{Name: "spark-ui", ContainerPort: 4040, Protocol: corev1.ProtocolTCP},
				},
				Env: []corev1.EnvVar{
					{Name: "SPARK_USER", Value: "spark"},
					{Name: "SPARK_APPLICATION_ID", Value: "spark-" + app},
					fieldEnv("SPARK_DRIVER_BIND_ADDRESS", "status.podIP"),
					{Name: "SPARK_LOCAL_DIRS", Value: "/var/data/spark-local-1"},
					{Name: "SPARK_CONF_DIR", Value: "/opt/spark/conf"},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": q("500m"), "memory": q("1408Mi")},
					Limits:   corev1.ResourceList{"memory": q("1408Mi")},
				},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "spark-local-dir-1", MountPath: "/var/data/spark-local-1"},
					{Name: "spark-conf-volume-driver", MountPath: "/opt/spark/conf"},
				},
				ImagePullPolicy: corev1.PullIfNotPresent,
			}},
			Volumes: []corev1.Volume{
				{Name: "spark-local-dir-1", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "spark-conf-volume-driver", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "spark-drv-" + app + "-conf-map"},
					Items:                []corev1.KeyToPath{{Key: "spark.properties", Path: "spark.properties", Mode: ptr(int32(420))}},
				}}},
			},
		},
	}
}

// sparkExecutor is an executor pod as the driver makes it: owned by the
// driver pod, JVM options in SPARK_JAVA_OPT_n, memory = heap + overhead.
func sparkExecutor(name, app string, id string, owner *corev1.Pod, labels, annotations map[string]string) *corev1.Pod {
	l := map[string]string{
		"spark-app-selector":            "spark-" + app,
		"spark-app-name":                app,
		"spark-role":                    "executor",
		"spark-exec-id":                 id,
		"spark-exec-resourceprofile-id": "0",
		"spark-version":                 "3.5.1",
	}
	for k, v := range labels {
		l[k] = v
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l, Annotations: annotations},
		Spec: corev1.PodSpec{
			ServiceAccountName: "spark",
			RestartPolicy:      corev1.RestartPolicyNever,
			Hostname:           name,
			Containers: []corev1.Container{{
				Name:  "spark-kubernetes-executor",
				Image: "apache/spark:3.5.1",
				Args:  []string{"executor"},
				Ports: []corev1.ContainerPort{{Name: "blockmanager", ContainerPort: 7079, Protocol: corev1.ProtocolTCP}},
				Env: []corev1.EnvVar{
					{Name: "SPARK_USER", Value: "spark"},
					{Name: "SPARK_DRIVER_URL", Value: "spark://CoarseGrainedScheduler@" + app + "-driver-svc.default.svc:7078"},
					{Name: "SPARK_EXECUTOR_CORES", Value: "1"},
					{Name: "SPARK_EXECUTOR_MEMORY", Value: "2048m"},
					{Name: "SPARK_APPLICATION_ID", Value: "spark-" + app},
					{Name: "SPARK_CONF_DIR", Value: "/opt/spark/conf"},
					{Name: "SPARK_EXECUTOR_ID", Value: id},
					{Name: "SPARK_RESOURCE_PROFILE_ID", Value: "0"},
					fieldEnv("SPARK_EXECUTOR_POD_IP", "status.podIP"),
					{Name: "SPARK_EXECUTOR_POD_NAME", Value: name},
					{Name: "SPARK_JAVA_OPT_0", Value: "-Dspark.driver.port=7078"},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": q("1"), "memory": q("2432Mi")},
					Limits:   corev1.ResourceList{"memory": q("2432Mi")},
				},
				ImagePullPolicy: corev1.PullIfNotPresent,
			}},
		},
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "Pod", Name: owner.Name, UID: owner.UID,
			Controller: ptr(true),
		}}
	}
	return p
}

func flinkLabels(cluster, component string, extra map[string]string) map[string]string {
	l := map[string]string{"app": cluster, "component": component, "type": "flink-native-kubernetes"}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// flinkJobManager is a JobManager pod as its ReplicaSet makes it:
// generateName, no name, quantities written "1.0".
func flinkJobManager(cluster string, labels, annotations map[string]string) *corev1.Pod {
	l := flinkLabels(cluster, "jobmanager", labels)
	l["pod-template-hash"] = "7d9f8c6b5"
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: cluster + "-7d9f8c6b5-", Labels: l, Annotations: annotations},
		Spec: corev1.PodSpec{
			ServiceAccountName: "flink",
			Containers: []corev1.Container{{
				Name:    "flink-main-container",
				Image:   "flink:1.18.1-scala_2.12",
				Command: []string{"/docker-entrypoint.sh"},
				Args: []string{"bash", "-c", "kubernetes-jobmanager.sh kubernetes-session " +
					"-Djobmanager.memory.off-heap.size='134217728b' -Djobmanager.memory.jvm-overhead.min='201326592b' " +
					"-Djobmanager.memory.jvm-metaspace.size='268435456b' -Djobmanager.memory.heap.size='1073741824b' " +
					"-Djobmanager.memory.jvm-overhead.max='201326592b'"},
				Ports: []corev1.ContainerPort{
					{Name: "rest", ContainerPort: 8081, Protocol: corev1.ProtocolTCP},
					{Name: "jobmanager-rpc", ContainerPort: 6123, Protocol: corev1.ProtocolTCP},
					{Name: "blobserver", ContainerPort: 6124, Protocol: corev1.ProtocolTCP},
				},
				Env: []corev1.EnvVar{fieldEnv("_POD_IP_ADDRESS", "status.podIP")},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": q("1.0"), "memory": q("1600Mi")},
					Limits:   corev1.ResourceList{"cpu": q("1.0"), "memory": q("1600Mi")},
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "flink-config-volume", MountPath: "/opt/flink/conf"}},
			}},
			Volumes: []corev1.Volume{{Name: "flink-config-volume", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "flink-config-" + cluster},
				Items: []corev1.KeyToPath{
					{Key: "logback-console.xml", Path: "logback-console.xml"},
					{Key: "flink-conf.yaml", Path: "flink-conf.yaml"},
				},
			}}}},
		},
	}
}

// flinkTaskManager is a TaskManager pod as the ResourceManager makes it:
// one bash -c start string, memory flags in FLINK_TM_JVM_MEM_OPTS.
func flinkTaskManager(cluster, name string, labels, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: flinkLabels(cluster, "taskmanager", labels), Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: cluster,
				UID: types.UID("6c1d0a34-61b4-4b4b-9d3c-0d5cbe0a7e11"), Controller: ptr(true), BlockOwnerDeletion: ptr(true)}}},
		Spec: corev1.PodSpec{
			ServiceAccountName: "flink",
			RestartPolicy:      corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:    "flink-main-container",
				Image:   "flink:1.18.1-scala_2.12",
				Command: []string{"/docker-entrypoint.sh"},
				Args: []string{"bash", "-c", "kubernetes-taskmanager.sh -Dtaskmanager.memory.network.min='166429984b' " +
					"-Dtaskmanager.cpu.cores='1.0' -Dtaskmanager.memory.task.off-heap.size='0b' " +
					"-Dtaskmanager.memory.jvm-metaspace.size='268435456b' -Dexternal-resources='none' " +
					"-D taskmanager.memory.process.size=1728m -D taskmanager.resource-id=" + name +
					" -D taskmanager.resource-id.metadata=" + name},
				Ports: []corev1.ContainerPort{{Name: "rpc", ContainerPort: 6122, Protocol: corev1.ProtocolTCP}},
				Env: []corev1.EnvVar{
					{Name: "FLINK_TM_JVM_MEM_OPTS", Value: "-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456"},
					fieldEnv("_POD_IP_ADDRESS", "status.podIP"),
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": q("1.0"), "memory": q("1728Mi")},
					Limits:   corev1.ResourceList{"cpu": q("1.0"), "memory": q("1728Mi")},
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "flink-config-volume", MountPath: "/opt/flink/conf"}},
			}},
			Volumes: []corev1.Volume{{Name: "flink-config-volume", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "flink-config-" + cluster},
			}}}},
		},
	}
}

// plainPod is not a Spark or Flink pod.
func plainPod(name string, labels, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "web", Image: "nginx:1.27",
				Args: []string{"nginx", "-g", "daemon off;"},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": q("100m"), "memory": q("64Mi")},
				},
			}},
		},
	}
}

func ptr[T any](v T) *T { return &v }
